# shellcheck shell=bash disable=SC2034 # peer_pid and port are for the sourcing script
# peer-lib.sh — sourced by the tests that run tests/peers/badpeer: a private folder, the peer
# started and its port read, and both cleaned up at exit, even when the test fails.
#
#   . peer-lib.sh PREFIX          makes $tmp (mktemp -d PREFIX.XXXXXX), traps the cleanup
#   peer_start BADPEER MODE LIFETIME_S
#                                 starts the peer (stdout: its port in $tmp/port, stderr in
#                                 $tmp/peer.err); sets peer_pid and port, or calls fail
# The sourcing script defines fail() (its own message format) before calling peer_start.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
peer_pid=
port=
peer_cleanup() {
    if [ -n "$peer_pid" ]; then
        kill "$peer_pid" 2>/dev/null # its children die with it (PR_SET_PDEATHSIG)
        wait "$peer_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap peer_cleanup EXIT

peer_start() {
    "$1" --mode "$2" --max-seconds "$3" >"$tmp/port" 2>"$tmp/peer.err" &
    peer_pid=$!
    for _ in $(seq 100); do
        read -r port <"$tmp/port" 2>/dev/null
        [[ $port =~ ^[0-9]+$ ]] && return 0
        kill -0 "$peer_pid" 2>/dev/null || fail "badpeer exited before printing its port"
        sleep 0.05
    done
    fail "badpeer printed no port within 5 s"
}
