#!/usr/bin/env bash
# interop-curl.sh DIR — curl against the reference server started in DIR:
#   mc01 -> mc02 over submission (STARTTLS + AUTH), read back by curl over POP3 with STLS;
#   mc01 -> mc03 over SMTPS (implicit TLS + AUTH), read back by curl over POP3S;
#   submission without AUTH is refused and delivers nothing.
# Each check looks at the message that arrived (its Subject and body), not only at exit codes.
# shellcheck disable=SC2154 # NAME_HOST, NAME_PORT, PW_user: set by interop-lib.sh from target.json
# shellcheck source=tests/integration/interop-lib.sh
. "$(dirname "$0")/interop-lib.sh" "$@"

CURL=(curl --silent --show-error --max-time 30 --cacert "$CA")

mkmsg() { # file from to subject
    printf 'From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@interop.test>\r\n\r\nbody line of %s\r\n..leading dot survives\r\n' \
        "$2" "$3" "$4" "$TAG-$RANDOM" "$4" >"$1"
}

# pop3_find_curl SCHEME HOST PORT USER SUBJECT OUT: lists the mailbox with curl (the URL without
# a message number sends LIST), retrieves every message (URL path /N sends RETR N) and writes the
# one whose Subject matches to OUT. Fails when none does.
pop3_find_curl() {
    local scheme=$1 host=$2 port=$3 user=$4 subject=$5 out=$6 pwvar="PW_$4" n extra=()
    [ "$scheme" = pop3 ] && extra=(--ssl-reqd)
    "${CURL[@]}" "${extra[@]}" --user "$user:${!pwvar}" "$scheme://$host:$port/" >"$WORK/list" ||
        fail "curl $scheme LIST for $user failed"
    note "curl $scheme LIST $user: $(tr -d '\r' <"$WORK/list" | tr '\n' ' ')"
    grep -Eq '^[0-9]+ [0-9]+' "$WORK/list" || fail "curl $scheme LIST for $user: no messages"
    while read -r n _; do
        "${CURL[@]}" "${extra[@]}" --user "$user:${!pwvar}" "$scheme://$host:$port/$n" >"$WORK/retr" ||
            fail "curl $scheme RETR $n for $user failed"
        if tr -d '\r' <"$WORK/retr" | grep -qxF "Subject: $subject"; then
            cp "$WORK/retr" "$out"
            return 0
        fi
    done < <(tr -d '\r' <"$WORK/list" | grep -E '^[0-9]+ [0-9]+')
    fail "curl $scheme: no message with Subject: $subject in $user's mailbox"
}

check_body() { # file subject
    tr -d '\r' <"$1" | grep -qxF "body line of $2" || fail "body of '$2' did not arrive intact"
    # dot-stuffing (RFC 5321 4.5.2): the line starts with two dots, curl sends three, the server
    # must store two again
    tr -d '\r' <"$1" | grep -qxF "..leading dot survives" || fail "dot-stuffed line of '$2' came back altered"
}

# 1. submission: STARTTLS (required by --ssl-reqd) + AUTH, to mc02
s1="curl-submission-$TAG"
mkmsg "$WORK/m1" "mc01@$DOMAIN" "mc02@$DOMAIN" "$s1"
"${CURL[@]}" --ssl-reqd "smtp://$submission_HOST:$submission_PORT" --user "mc01:$PW_mc01" \
    --mail-from "mc01@$DOMAIN" --mail-rcpt "mc02@$DOMAIN" -T "$WORK/m1" ||
    fail "curl submission (STARTTLS + AUTH) failed"
pop3_find_curl pop3 "$pop3_HOST" "$pop3_PORT" mc02 "$s1" "$WORK/got1"
check_body "$WORK/got1" "$s1"
note "ok: curl submission STARTTLS+AUTH -> curl POP3 STLS: $s1"

# 2. SMTPS: implicit TLS + AUTH, to mc03
s2="curl-smtps-$TAG"
mkmsg "$WORK/m2" "mc01@$DOMAIN" "mc03@$DOMAIN" "$s2"
"${CURL[@]}" "smtps://$smtps_HOST:$smtps_PORT" --user "mc01:$PW_mc01" \
    --mail-from "mc01@$DOMAIN" --mail-rcpt "mc03@$DOMAIN" -T "$WORK/m2" ||
    fail "curl smtps (implicit TLS + AUTH) failed"
pop3_find_curl pop3s "$pop3s_HOST" "$pop3s_PORT" mc03 "$s2" "$WORK/got2"
check_body "$WORK/got2" "$s2"
note "ok: curl SMTPS+AUTH -> curl POP3S: $s2"

# 3. submission without AUTH must not deliver (RFC 6409: AUTH required there)
s3="curl-noauth-$TAG"
mkmsg "$WORK/m3" "mc01@$DOMAIN" "mc02@$DOMAIN" "$s3"
if "${CURL[@]}" --ssl-reqd "smtp://$submission_HOST:$submission_PORT" \
    --mail-from "mc01@$DOMAIN" --mail-rcpt "mc02@$DOMAIN" -T "$WORK/m3" 2>"$WORK/err3"; then
    fail "submission accepted a message without AUTH"
fi
note "expected refusal: $(cat "$WORK/err3")"
pop3_dump mc02 "$WORK/dump3"
if grep -qF "Subject: $s3" "$WORK/dump3"; then fail "unauthenticated submission was delivered"; fi

# 4. a one-line POP3 command with curl (-X STAT -I: no multi-line reply expected)
"${CURL[@]}" --ssl-reqd -I -X STAT --user "mc02:$PW_mc02" "pop3://$pop3_HOST:$pop3_PORT/" >"$WORK/stat" ||
    fail "curl POP3 STAT failed"
echo "ok: curl interop"
