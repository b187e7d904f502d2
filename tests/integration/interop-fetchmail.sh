#!/usr/bin/env bash
# interop-fetchmail.sh DIR — issue 3's "done when": a message submitted with curl over STARTTLS +
# AUTH (mc10 -> mc11, submission) is retrieved with fetchmail over POP3, against the reference
# server started in DIR. First fetchmail over POP3S with USER/PASS and `keep`: the message must
# stay on the server. Then over POP3 with STLS required (sslproto TLS1.2+), certificate checked,
# fetchmail's own choice of AUTH mechanism, no keep: the delivered file must hold the message
# and the mailbox must be empty afterwards.
# shellcheck disable=SC2154 # NAME_HOST, NAME_PORT, PW_user: set by interop-lib.sh from target.json
# shellcheck source=tests/integration/interop-lib.sh
. "$(dirname "$0")/interop-lib.sh" "$@"

command -v fetchmail >/dev/null || fail "fetchmail is not installed (tools/install-deps test-tools)"

s="fetchmail-$TAG"
printf 'From: <mc10@%s>\r\nTo: <mc11@%s>\r\nSubject: %s\r\n\r\nbody of %s\r\n' \
    "$DOMAIN" "$DOMAIN" "$s" "$s" >"$WORK/msg"
curl --silent --show-error --max-time 30 --cacert "$CA" --ssl-reqd \
    "smtp://$submission_HOST:$submission_PORT" --user "mc10:$PW_mc10" \
    --mail-from "mc10@$DOMAIN" --mail-rcpt "mc11@$DOMAIN" -T "$WORK/msg" ||
    fail "curl submission (STARTTLS + AUTH) failed"

export FETCHMAILHOME=$WORK # its pid file and .fetchids go there, not to ~
me=$(id -un)

run_fetchmail() { # name rc-file-text
    local rc=$WORK/$1.rc st
    printf '%s\n' "$2" >"$rc"
    chmod 600 "$rc"
    fetchmail --fetchmailrc "$rc" --idfile "$WORK/$1.ids" --pidfile "$WORK/$1.pid" --nodetach --nosyslog -v \
        >"$WORK/$1.log" 2>&1
    st=$?
    sed "s/^/  [$1] /" "$WORK/$1.log" >&2
    [ $st -eq 0 ] || fail "fetchmail $1 exited $st (0 = mail retrieved; 1 = no mail)"
}

# 1. POP3S (implicit TLS), keep
run_fetchmail pop3s "poll $pop3s_HOST port $pop3s_PORT proto pop3 auth password timeout 30
  user \"mc11\" there with password \"$PW_mc11\" is \"$me\" here
  ssl sslproto 'TLS1.2+' sslcertck sslcertfile \"$CA\"
  keep fetchall
  mda \"cat >> '$WORK/pop3s.mbox'\""
grep -q 'POP3> USER mc11' "$WORK/pop3s.log" || fail "fetchmail 'auth password' did not log in with USER/PASS"
grep -qxF "Subject: $s" <(tr -d '\r' <"$WORK/pop3s.mbox") || fail "fetchmail over POP3S did not deliver '$s'"
pop3_dump mc11 "$WORK/dump1"
grep -qxF "Subject: $s" "$WORK/dump1" || fail "fetchmail 'keep' still deleted '$s' on the server"
note "ok: fetchmail POP3S (keep) fetched $s and left it on the server"

# 2. POP3 with STLS required, certificate checked, no keep
run_fetchmail pop3 "poll $pop3_HOST port $pop3_PORT proto pop3 timeout 30
  user \"mc11\" there with password \"$PW_mc11\" is \"$me\" here
  sslproto 'TLS1.2+' sslcertck sslcertfile \"$CA\"
  nokeep fetchall
  mda \"cat >> '$WORK/pop3.mbox'\""
grep -qi 'STLS' "$WORK/pop3.log" || fail "fetchmail did not negotiate STLS (see its log)"
tr -d '\r' <"$WORK/pop3.mbox" | grep -qxF "Subject: $s" || fail "fetchmail over POP3+STLS did not deliver '$s'"
tr -d '\r' <"$WORK/pop3.mbox" | grep -qxF "body of $s" || fail "body of '$s' did not arrive"
pop3_dump mc11 "$WORK/dump2"
if grep -qF "Subject: $s" "$WORK/dump2"; then fail "fetchmail without keep: '$s' is still on the server"; fi
note "ok: fetchmail POP3+STLS fetched $s and deleted it"
echo "ok: fetchmail interop"
