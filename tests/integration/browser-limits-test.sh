#!/usr/bin/env bash
# browser-limits-test.sh CASE MAILCONFORM — the report browser's bounds on connections
# (harness/cli/browser_guard.c), one case per run (registered by serve.cmake):
#   fds       out of descriptors (a low `ulimit -n` in the browser's subshell, many connections
#             held open): the browser does not spin (its CPU time stays low), says the condition
#             once, and serves again once the connections close;
#   cap       at most 64 connections are held (the rest wait in the listen queue: a request
#             waits too), and it serves again once they close;
#   deadline  a client dripping its request (a header line byte by byte, one every 10 s, below
#             the 30 s silence timeout) is cut after the 30 s request deadline.
set -u
case_name=$1 MC=$2
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mc-browser-limits.XXXXXX") || exit 1
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
fail() {
    printf 'FAIL [%s]: %s\n' "$case_name" "$*" >&2
    [ -f "$WORK/log" ] && { echo "--- the browser's log:" >&2; head -c 4000 "$WORK/log" >&2; }
    exit 1
}
mkdir "$WORK/reports"
echo '{"not": "a report"}' >"$WORK/reports/a.json"

# start [FD_LIMIT]: the browser on a free port (in a subshell with that descriptor limit).
start() {
    (
        [ -n "${1:-}" ] && ulimit -n "$1"
        exec "$MC" serve --http 127.0.0.1:0 --reports "$WORK/reports"
    ) >"$WORK/log" 2>&1 &
    pid=$!
    url=
    for _ in $(seq 1 100); do
        url=$(grep -o 'http://[^ ]*' "$WORK/log" 2>/dev/null | head -1)
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || fail "the browser did not start"
    port=${url##*:}
    port=${port%/}
}
serves() { [ "$(curl -s -m "${1:-10}" -o /dev/null -w '%{http_code}' "$url")" = 200 ]; }

# hold N SECONDS: N connections held open for SECONDS; prints the browser's CPU seconds and
# descriptors meanwhile, then closes them all.
hold() {
    "$PY" - "$port" "$pid" "$1" "$2" <<'PYEOF'
import os, socket, sys, time
port, pid, n, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
time.sleep(0.5)
before = cpu()
time.sleep(secs)
print("%.2f %d" % (cpu() - before, len(os.listdir("/proc/%s/fd" % pid))))
for c in conns:
    c.close()
PYEOF
}

case $case_name in
fds)
    start 40
    serves || fail "it did not serve before the test"
    read -r cpu fds < <(hold 150 3) || fail "the client failed"
    echo "CPU over 3 s with 150 connections and 40 descriptors: $cpu s ($fds descriptors)"
    "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 0.5 else 1)' "$cpu" ||
        fail "the browser used $cpu s of CPU in 3 s out of descriptors (it spins)"
    n=$(grep -c 'cannot accept connections (Too many open files)' "$WORK/log")
    [ "$n" = 1 ] || fail "the condition was said $n times, not once"
    grep -q 'Error from accept' "$WORK/log" && fail "libevent's own accept error was logged"
    serves || fail "it did not serve again after the connections closed"
    ;;
cap)
    start
    base=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
    "$PY" - "$port" "$pid" "$url" <<'PYEOF' >"$WORK/held" || fail "the client failed: $(cat "$WORK/held")"
import os, socket, subprocess, sys, time
port, pid, url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
time.sleep(1)
fds = len(os.listdir("/proc/%s/fd" % pid))
waiting = subprocess.run(["curl", "-s", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}", url],
                         capture_output=True, text=True).stdout
print(fds, waiting)
for c in conns:
    c.close()
PYEOF
    read -r fds waiting <"$WORK/held"
    echo "with 100 connections held: $fds descriptors (at rest $base); a request meanwhile: '$waiting'"
    [ "$fds" -le $((base + 64)) ] || fail "$fds descriptors open with 100 connections: over the cap of 64"
    [ "$fds" -ge $((base + 60)) ] || fail "only $fds descriptors open: the connections were not accepted"
    [ "$waiting" = 000 ] || fail "a request over the cap was answered $waiting, not left waiting"
    serves 5 || fail "it did not serve again after the connections closed"
    ;;
deadline)
    start
    "$PY" - "$port" <<'PYEOF' >"$WORK/drip" || fail "the dripping client: $(cat "$WORK/drip")"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
start = time.monotonic()
s.settimeout(10)
for ch in b"X-Slow: " + b"a" * 100:
    if time.monotonic() - start > 50:
        break
    try:
        s.sendall(bytes([ch]))
        if s.recv(1) == b"":
            break
    except socket.timeout:
        continue
    except OSError:
        break
print("%.1f" % (time.monotonic() - start))
PYEOF
    took=$(cat "$WORK/drip")
    echo "the dripping client was cut after $took s"
    "$PY" -c 'import sys; t = float(sys.argv[1]); sys.exit(0 if 25 <= t <= 42 else 1)' "$took" ||
        fail "the dripping client held its connection $took s (the deadline is 30 s)"
    serves || fail "it does not serve after the cut"
    ;;
*)
    fail "unknown case"
    ;;
esac
kill "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ] || fail "the browser exited $rc when stopped (sanitizer report?)"
echo "ok [$case_name]"
