#!/usr/bin/env bash
# interop-imap-curl.sh DIR — curl's IMAP client against the server started in DIR (users mc12,
# mc13, mc14), every certificate checked against the profile's CA:
#   mail submitted by curl (mc12 -> mc13, STARTTLS + AUTH) is found by curl over IMAP with
#   STARTTLS required (SELECT + SEARCH SUBJECT) and fetched by sequence number (FETCH BODY[]):
#   headers, body and a line starting with two dots come back intact; fetched again over IMAPS
#   by UID (UID from a custom UID SEARCH), and only its Subject (SECTION=HEADER.FIELDS);
#   FETCH BODY[] set \Seen; a custom STORE +FLAGS (\Flagged) is seen by a later connection;
#   curl logs in with its default (AUTHENTICATE when the server offers SASL), with AUTH=PLAIN,
#   and with the LOGIN command (AUTH=+LOGIN, curl 8.2.0 and later only); a wrong password fails
#   with curl's "login denied";
#   APPEND (curl -T) over IMAPS to mc14's INBOX: the message comes back byte for byte;
#   CREATE a mailbox, APPEND to it, LIST shows it, fetch from it, DELETE it, LIST no longer does;
#   at the end STORE \Deleted + EXPUNGE remove this run's messages (SEARCH no longer finds them).
# On a failure the -v transcript of the failing curl is printed.
# shellcheck disable=SC2154 # NAME_HOST, NAME_PORT, PW_user: set by interop-lib.sh from target.json
# shellcheck disable=SC2015 # "a && b || fail": fail when either is false, as intended
# shellcheck source=tests/integration/interop-lib.sh
. "$(dirname "$0")/interop-lib.sh" "$@"

need_imap
IMAP="imap://$imap_HOST:$imap_PORT"
IMAPS="imaps://$imaps_HOST:$imaps_PORT"
n_curl=0

# icurl OUT USER ARGS...: curl -v (transcript in OUT.trace) with USER's password; the response
# (with CR removed) in OUT. Fails, showing the transcript, when curl fails.
icurl() {
    local out=$1 user=$2 pwvar="PW_$2"
    shift 2
    n_curl=$((n_curl + 1))
    if ! curl -v --silent --show-error --max-time 30 --cacert "$CA" --user "$user:${!pwvar}" "$@" \
        >"$out.raw" 2>"$out.trace"; then
        sed 's/^/  [curl] /' "$out.trace" >&2
        fail "curl $* failed"
    fi
    tr -d '\r' <"$out.raw" >"$out"
}
show() { # file what: the transcript of the curl that wrote file, then fail
    sed 's/^/  [curl] /' "$1.trace" >&2
    fail "$2"
}

# 1. submission -> IMAP with STARTTLS: SEARCH, then FETCH by sequence number
s1="curl-imap-$TAG"
make_msg "$WORK/m1" "mc12@$DOMAIN" "mc13@$DOMAIN" "$s1"
submit_curl mc12 "mc13@$DOMAIN" "$WORK/m1"
imap_wait mc13 "$s1" "$WORK/dump0" # delivery may be asynchronous (Postfix)
q=$(printf 'SUBJECT "%s"' "$s1" | sed 's/ /%20/g; s/"/%22/g')
icurl "$WORK/search" mc13 --ssl-reqd "$IMAP/INBOX?$q"
grep -q 'STARTTLS' "$WORK/search.trace" || show "$WORK/search" "curl did not use STARTTLS on the imap port"
read -r star word seq rest <"$WORK/search"
[ "$star $word" = "* SEARCH" ] && [ -n "$seq" ] && [ -z "$rest" ] ||
    show "$WORK/search" "SEARCH SUBJECT \"$s1\": expected one number, got: $(cat "$WORK/search")"
icurl "$WORK/got1" mc13 --ssl-reqd "$IMAP/INBOX;MAILINDEX=$seq"
grep -qxF "Subject: $s1" "$WORK/got1" || show "$WORK/got1" "FETCH $seq BODY[]: not the message '$s1'"
grep -qxF "body line of $s1" "$WORK/got1" || show "$WORK/got1" "FETCH $seq BODY[]: body of '$s1' altered"
grep -qxF "..leading dot survives" "$WORK/got1" ||
    show "$WORK/got1" "FETCH $seq BODY[]: the line starting with two dots came back altered"
grep -qxF "From: <mc12@$DOMAIN>" "$WORK/got1" || show "$WORK/got1" "FETCH $seq BODY[]: From header lost"
note "ok: curl submission -> curl IMAP+STARTTLS SEARCH + FETCH by sequence number ($seq): $s1"

# 2. IMAPS: the UID from a custom UID SEARCH, FETCH by UID, a header section
icurl "$WORK/usearch" mc13 "$IMAPS/INBOX" -X "UID SEARCH SUBJECT \"$s1\""
read -r star word uid rest < <(grep '^\* SEARCH' "$WORK/usearch")
[ "$star $word" = "* SEARCH" ] && [ -n "$uid" ] && [ -z "$rest" ] ||
    show "$WORK/usearch" "UID SEARCH SUBJECT \"$s1\": expected one UID, got: $(cat "$WORK/usearch")"
icurl "$WORK/got2" mc13 "$IMAPS/INBOX;UID=$uid"
cmp -s "$WORK/got1" "$WORK/got2" || {
    diff "$WORK/got1" "$WORK/got2" >&2
    show "$WORK/got2" "UID FETCH $uid over IMAPS differs from FETCH $seq over IMAP"
}
icurl "$WORK/hdr" mc13 "$IMAPS/INBOX;UID=$uid;SECTION=HEADER.FIELDS%20(SUBJECT)"
[ "$(cat "$WORK/hdr")" = "Subject: $s1" ] ||
    show "$WORK/hdr" "BODY[HEADER.FIELDS (SUBJECT)] of UID $uid: got '$(cat "$WORK/hdr")'"
note "ok: curl IMAPS UID SEARCH + UID FETCH $uid (same bytes) + HEADER.FIELDS (SUBJECT)"

# 3. flags: curl's FETCH BODY[] (no PEEK) set \Seen; STORE \Flagged, seen by a new connection
icurl "$WORK/flags1" mc13 "$IMAPS/INBOX" -X "UID FETCH $uid FLAGS"
grep -q '^\* [0-9]* FETCH (.*FLAGS ([^)]*\\Seen' "$WORK/flags1" ||
    show "$WORK/flags1" "FETCH BODY[] did not set \\Seen (RFC 3501 6.4.5): $(cat "$WORK/flags1")"
icurl "$WORK/store" mc13 "$IMAPS/INBOX" -X "UID STORE $uid +FLAGS (\\Flagged)"
grep -q '^\* [0-9]* FETCH (.*\\Flagged' "$WORK/store" ||
    show "$WORK/store" "UID STORE +FLAGS (\\Flagged) answered no FETCH with \\Flagged: $(cat "$WORK/store")"
icurl "$WORK/flags2" mc13 --ssl-reqd "$IMAP/INBOX" -X "UID FETCH $uid FLAGS"
grep -q '^\* [0-9]* FETCH (.*FLAGS ([^)]*\\Flagged' "$WORK/flags2" &&
    grep -q '^\* [0-9]* FETCH (.*FLAGS ([^)]*\\Seen' "$WORK/flags2" ||
    show "$WORK/flags2" "a new connection does not see \\Seen \\Flagged on UID $uid: $(cat "$WORK/flags2")"
note "ok: curl FETCH set \\Seen; STORE \\Flagged seen by another connection"

# 4. authentication: LOGIN command, AUTHENTICATE PLAIN, a wrong password
if grep -q '> [A-Z0-9]* LOGIN ' "$WORK/search.trace"; then
    note "(curl's default was the LOGIN command: the server offers no SASL mechanism curl takes)"
elif [ "$(printf '%s\n' 8.2.0 "$(curl -V | awk '{print $2; exit}')" | sort -V | head -1)" = 8.2.0 ]; then
    icurl "$WORK/login" mc13 --ssl-reqd --login-options 'AUTH=+LOGIN' "$IMAP/INBOX?$q"
    grep -q '> [A-Z0-9]* LOGIN ' "$WORK/login.trace" || show "$WORK/login" "AUTH=+LOGIN: curl did not send LOGIN"
    [ "$(cat "$WORK/login")" = "* SEARCH $seq" ] || show "$WORK/login" "after LOGIN: SEARCH gave $(cat "$WORK/login")"
else
    note "(skipped: curl $(curl -V | awk '{print $2; exit}') has no AUTH=+LOGIN (8.2.0+); imaplib tests LOGIN)"
fi
icurl "$WORK/plain" mc13 --login-options 'AUTH=PLAIN' "$IMAPS/INBOX?$q"
grep -q '> [A-Z0-9]* AUTHENTICATE PLAIN' "$WORK/plain.trace" ||
    show "$WORK/plain" "AUTH=PLAIN: curl did not send AUTHENTICATE PLAIN"
[ "$(cat "$WORK/plain")" = "* SEARCH $seq" ] || show "$WORK/plain" "after AUTHENTICATE PLAIN: SEARCH gave $(cat "$WORK/plain")"
st=0
curl -v --silent --show-error --max-time 30 --cacert "$CA" --user "mc13:wrong-$TAG" "$IMAPS/" \
    >"$WORK/bad" 2>"$WORK/bad.trace" || st=$?
[ $st -eq 67 ] || show "$WORK/bad" "a wrong password: curl exit $st, expected 67 (login denied)"
note "ok: curl default login, AUTHENTICATE PLAIN, a wrong password refused"

# 5. APPEND over IMAPS to mc14: the message comes back byte for byte
s2="curl-append-$TAG"
make_msg "$WORK/m2" "mc14@$DOMAIN" "mc14@$DOMAIN" "$s2"
icurl "$WORK/append" mc14 -T "$WORK/m2" "$IMAPS/INBOX"
grep -q '> [A-Z0-9]* APPEND INBOX' "$WORK/append.trace" || show "$WORK/append" "curl -T did not APPEND"
q2=$(printf 'SUBJECT "%s"' "$s2" | sed 's/ /%20/g; s/"/%22/g')
icurl "$WORK/search2" mc14 --ssl-reqd "$IMAP/INBOX?$q2"
read -r star word seq2 rest <"$WORK/search2"
[ "$star $word" = "* SEARCH" ] && [ -n "$seq2" ] && [ -z "$rest" ] ||
    show "$WORK/search2" "SEARCH for the APPENDed '$s2': $(cat "$WORK/search2")"
icurl "$WORK/got3" mc14 "$IMAPS/INBOX;MAILINDEX=$seq2"
cmp -s "$WORK/m2" "$WORK/got3.raw" || {
    diff <(tr -d '\r' <"$WORK/m2") "$WORK/got3" >&2
    show "$WORK/got3" "the APPENDed message did not come back byte for byte"
}
note "ok: curl APPEND over IMAPS, fetched back identical: $s2"

# 6. CREATE, APPEND into it, LIST, fetch, DELETE
box="curl-$TAG"
cleanup() {
    curl --silent --max-time 10 --cacert "$CA" --user "mc14:$PW_mc14" "$IMAPS/" -X "DELETE \"$box\"" \
        >/dev/null 2>&1 || true
}
trap 'cleanup; rm -rf "$WORK"' EXIT
icurl "$WORK/create" mc14 "$IMAPS/" -X "CREATE \"$box\""
s3="curl-box-$TAG"
make_msg "$WORK/m3" "mc14@$DOMAIN" "mc14@$DOMAIN" "$s3"
icurl "$WORK/append3" mc14 -T "$WORK/m3" "$IMAPS/$box"
icurl "$WORK/list" mc14 "$IMAPS/"
grep -q "^\* LIST (.*) .* \"\\?$box\"\\?\$" "$WORK/list" || show "$WORK/list" "LIST does not show the new mailbox $box"
grep -q '^\* LIST (.*) .* "\?INBOX"\?$' "$WORK/list" || show "$WORK/list" "LIST does not show INBOX"
icurl "$WORK/got4" mc14 "$IMAPS/$box;MAILINDEX=1"
cmp -s "$WORK/m3" "$WORK/got4.raw" || show "$WORK/got4" "the message APPENDed to $box did not come back byte for byte"
icurl "$WORK/delete" mc14 "$IMAPS/" -X "DELETE \"$box\""
icurl "$WORK/list2" mc14 "$IMAPS/"
if grep -q "$box" "$WORK/list2"; then show "$WORK/list2" "LIST still shows $box after DELETE"; fi
note "ok: curl CREATE, APPEND into, LIST, FETCH from, DELETE $box"

# 7. clean up (and one more check): STORE \Deleted + EXPUNGE of this run's messages
icurl "$WORK/del13" mc13 "$IMAPS/INBOX" -X "UID STORE $uid +FLAGS (\\Deleted)"
icurl "$WORK/exp13" mc13 "$IMAPS/INBOX" -X "EXPUNGE"
grep -q '^\* [0-9]* EXPUNGE' "$WORK/exp13" || show "$WORK/exp13" "EXPUNGE reported no expunged message"
icurl "$WORK/left13" mc13 --ssl-reqd "$IMAP/INBOX?$q"
[ "$(cat "$WORK/left13")" = "* SEARCH" ] || show "$WORK/left13" "after EXPUNGE, SEARCH still finds '$s1'"
icurl "$WORK/del14" mc14 "$IMAPS/INBOX" -X "STORE $seq2 +FLAGS (\\Deleted)"
icurl "$WORK/exp14" mc14 "$IMAPS/INBOX" -X "EXPUNGE"
note "ok: curl STORE \\Deleted + EXPUNGE removed this run's messages"
echo "ok: curl IMAP interop ($n_curl curl runs)"
