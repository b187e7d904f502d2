#!/usr/bin/env bash
# interop-imap-fetchmail.sh DIR — fetchmail over IMAP against the server started in DIR: a
# message submitted with curl (STARTTLS + AUTH, mc19 -> mc20) is retrieved by fetchmail
#   1. over IMAPS, certificate checked, the LOGIN command (auth password), `keep`: the delivered
#      mbox holds the message (Subject, body, the line starting with two dots) and it stays on
#      the server, with the \Seen fetchmail sets;
#   2. over IMAP with STARTTLS required (sslproto TLS1.2+), certificate checked, fetchmail's own
#      choice of authentication, `nokeep fetchall`: the message is delivered again and is gone
#      from the server afterwards (STORE \Deleted + EXPUNGE).
# fetchmail's -v log (the IMAP commands it sent) is printed with every run.
# shellcheck disable=SC2154 # NAME_HOST, NAME_PORT, PW_user: set by interop-lib.sh from target.json
# shellcheck source=tests/integration/interop-lib.sh
. "$(dirname "$0")/interop-lib.sh" "$@"

command -v fetchmail >/dev/null || fail "fetchmail is not installed (tools/install-deps test-tools)"
need_imap

s="fetchmail-imap-$TAG"
make_msg "$WORK/msg" "mc19@$DOMAIN" "mc20@$DOMAIN" "$s"
submit_curl mc19 "mc20@$DOMAIN" "$WORK/msg"
imap_wait mc20 "$s" "$WORK/dump0"

export FETCHMAILHOME=$WORK # its pid file and .fetchids go there, not to ~
me=$(id -un)

run_fetchmail() { # name rc-file-text
    local rc=$WORK/$1.rc st
    printf '%s\n' "$2" >"$rc"
    chmod 600 "$rc"
    # --pidfile: as root, fetchmail locks /var/run/fetchmail.pid whatever FETCHMAILHOME says,
    # and a second fetchmail (another test running in parallel) then refuses to run
    timeout 120 fetchmail --fetchmailrc "$rc" --idfile "$WORK/$1.ids" --pidfile "$WORK/$1.pid" \
        --nodetach --nosyslog -v >"$WORK/$1.log" 2>&1
    st=$?
    sed "s/^/  [$1] /" "$WORK/$1.log" >&2
    [ $st -eq 0 ] || fail "fetchmail $1 exited $st (0 = mail retrieved; 1 = no mail)"
}
check_mbox() { # mbox
    [ -s "$1" ] || fail "fetchmail delivered nothing to $1"
    tr -d '\r' <"$1" | grep -qxF "Subject: $s" || fail "fetchmail did not deliver '$s' ($1)"
    tr -d '\r' <"$1" | grep -qxF "body line of $s" || fail "body of '$s' did not arrive ($1)"
    tr -d '\r' <"$1" | grep -qxF "..leading dot survives" || fail "the line starting with two dots came back altered ($1)"
}

# 1. IMAPS, LOGIN command, keep
run_fetchmail imaps "poll $imaps_HOST port $imaps_PORT proto imap auth password timeout 30
  user \"mc20\" there with password \"$PW_mc20\" is \"$me\" here
  ssl sslproto 'TLS1.2+' sslcertck sslcertfile \"$CA\"
  keep fetchall
  mda \"cat >> '$WORK/imaps.mbox'\""
grep -Eq 'IMAP> [A-Z0-9]+ LOGIN' "$WORK/imaps.log" || fail "fetchmail 'auth password' did not use the LOGIN command"
check_mbox "$WORK/imaps.mbox"
imap_dump mc20 "$WORK/dump1"
grep -qxF "Subject: $s" "$WORK/dump1" || fail "fetchmail 'keep' still deleted '$s' on the server"
imap_msg "$WORK/dump1" "$s" "$WORK/msg1"
head -1 "$WORK/msg1" | grep -qF '\Seen' ||
    fail "fetchmail's STORE +FLAGS (\Seen) did not stick: $(head -1 "$WORK/msg1")"
note "ok: fetchmail IMAPS (LOGIN, keep) fetched $s and left it on the server"

# 2. IMAP with STARTTLS required, fetchmail's choice of authentication, no keep
run_fetchmail imap "poll $imap_HOST port $imap_PORT proto imap timeout 30
  user \"mc20\" there with password \"$PW_mc20\" is \"$me\" here
  sslproto 'TLS1.2+' sslcertck sslcertfile \"$CA\"
  nokeep fetchall
  mda \"cat >> '$WORK/imap.mbox'\""
grep -q 'IMAP> [A-Z0-9]* STARTTLS' "$WORK/imap.log" || fail "fetchmail did not negotiate STARTTLS (see its log)"
check_mbox "$WORK/imap.mbox"
grep -Eq 'IMAP> [A-Z0-9]+ (EXPUNGE|CLOSE)' "$WORK/imap.log" || fail "fetchmail without keep sent no EXPUNGE or CLOSE"
imap_dump mc20 "$WORK/dump2"
if grep -qxF "Subject: $s" "$WORK/dump2"; then fail "fetchmail without keep: '$s' is still on the server"; fi
note "ok: fetchmail IMAP+STARTTLS fetched $s and deleted it"
echo "ok: fetchmail IMAP interop"
