#!/usr/bin/env bash
# interop-imap-mutt.sh DIR — mutt against the server started in DIR (users mc21, mc22), its own
# muttrc only (-n -F), certificates checked against the profile's CA (ssl_ca_certificates_file):
#   1. mutt in batch mode sends mc21 -> mc22 over submission (smtp_url, STARTTLS forced, AUTH);
#   2. mutt in a pseudo-terminal (`script`), driven by `push`, opens imaps://mc22@.../INBOX,
#      limits the index to the message's Subject, pipes the message to a file (the message:
#      Subject, body, the line starting with two dots), flags it and copies it to a new mailbox
#      (mutt creates it), syncs and quits;
#   3. a second mutt over imap:// with STARTTLS forced opens the new mailbox, finds the copy
#      among the flagged messages (~F: mutt read \Flagged from the server), pipes it (same bytes
#      as the first), then deletes the original in INBOX and syncs (EXPUNGE);
#   the server side is checked with imaplib after each step (\Flagged, the copy, the deletion).
# Every mutt run has a time limit; on a failure its debug log (-d 5: the protocol) and what it
# drew on the terminal are printed.
# shellcheck disable=SC2154 # NAME_HOST, NAME_PORT, PW_user: set by interop-lib.sh from target.json
# shellcheck disable=SC2015 # "a && b || fail": fail when either is false, as intended
# shellcheck source=tests/integration/interop-lib.sh
. "$(dirname "$0")/interop-lib.sh" "$@"

command -v mutt >/dev/null || fail "mutt is not installed (tools/install-deps test-tools)"
command -v script >/dev/null || fail "script is not installed (tools/install-deps test-tools: bsdutils)"
need_imap
export HOME=$WORK # mutt's debug log (~/.muttdebug0) and anything else it writes stay in WORK
export TERM=vt100 LINES=24 COLUMNS=80
unset MAIL MAILCHECK MUTT EMAIL

s="mutt-$TAG"
box="mutt-$TAG"
cleanup() {
    curl --silent --max-time 10 --cacert "$CA" --user "mc22:$PW_mc22" \
        "imaps://$imaps_HOST:$imaps_PORT/" -X "DELETE \"$box\"" >/dev/null 2>&1 || true
}
trap 'cleanup; rm -rf "$WORK"' EXIT

# mutt strings in double quotes: backslash and double quote escaped, $ and ` too
mq() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"$`]/\\&/g')"; }

common="set ssl_ca_certificates_file=$(mq "$CA")
set ssl_verify_host=yes
set ssl_force_tls=yes
set certificate_file=$(mq "$WORK/certificates")
set header_cache=\"\"
set message_cachedir=\"\"
set hostname=interop.test
set realname=\"\"
set copy=no
set record=\"\"
set beep=no"

showmutt() { # run-name: the protocol log and the screen of that mutt run
    [ -f "$WORK/$1.debug" ] && grep -a -E '[0-9]< |[0-9]> ' "$WORK/$1.debug" | sed "s/^/  [mutt $1] /" >&2
    [ -f "$WORK/$1.screen" ] &&
        sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][A-Z0-9]//g; s/\r/\n/g' "$WORK/$1.screen" |
        tr -cd '\11\12\40-\176' | grep -v '^ *$' | tail -25 | sed "s/^/  [mutt $1 screen] /" >&2
    return 0
}

# 1. batch send over submission: STARTTLS + AUTH
printf '%s\n' "$common
set from=\"mc21@$DOMAIN\"
set use_from=yes
set smtp_url=\"smtp://mc21@$submission_HOST:$submission_PORT/\"
set smtp_pass=$(mq "$PW_mc21")
set ssl_starttls=yes" >"$WORK/send.rc"
printf 'body line of %s\n..leading dot survives\n' "$s" >"$WORK/body"
rm -f "$WORK/.muttdebug0"
timeout 60 mutt -n -d 5 -F "$WORK/send.rc" -s "$s" -- "mc22@$DOMAIN" <"$WORK/body" >"$WORK/send.screen" 2>&1
st=$?
mv -f "$WORK/.muttdebug0" "$WORK/send.debug" 2>/dev/null
[ $st -eq 0 ] || { showmutt send; fail "mutt batch send over submission failed (exit $st)"; }
grep -aq '> STARTTLS' "$WORK/send.debug" || { showmutt send; fail "mutt did not use STARTTLS on submission"; }
grep -aqE '> AUTH |> [A-Za-z0-9+/=]+$' "$WORK/send.debug" || { showmutt send; fail "mutt did not authenticate"; }
imap_wait mc22 "$s" "$WORK/dump0"
imap_msg "$WORK/dump0" "$s" "$WORK/srv0"
grep -qxF "body line of $s" "$WORK/srv0" && grep -qxF "..leading dot survives" "$WORK/srv0" ||
    fail "the message mutt sent arrived altered: $(cat "$WORK/srv0")"
note "ok: mutt batch send (STARTTLS + AUTH) mc21 -> mc22: $s"

# run_mutt NAME RC-TEXT: mutt -n -F NAME.rc in a pseudo-terminal (script), 60 s at most, with a
# standard input that stays open (so that `script` sends no end-of-file character to mutt).
run_mutt() {
    local name=$1 st sleeper
    printf '%s\n' "$common
set imap_pass=$(mq "$PW_mc22")
set wait_key=no
set quit=yes
set move=no
set delete=yes
set confirmcreate=no
set confirmappend=no
set mark_old=no
set pipe_decode=no
set imap_passive=yes
set mail_check=0
set timeout=5
$2" >"$WORK/$name.rc"
    rm -f "$WORK/.muttdebug0"
    mkfifo "$WORK/$name.stdin"
    sleep 90 >"$WORK/$name.stdin" 2>/dev/null &
    sleeper=$!
    timeout 60 script -qec "mutt -n -d 5 -F '$WORK/$name.rc'" /dev/null \
        <"$WORK/$name.stdin" >"$WORK/$name.screen" 2>&1
    st=$?
    kill "$sleeper" 2>/dev/null
    wait "$sleeper" 2>/dev/null
    mv -f "$WORK/.muttdebug0" "$WORK/$name.debug" 2>/dev/null
    [ $st -eq 0 ] || { showmutt "$name"; fail "mutt $name: exit $st (124: it hung until the time limit)"; }
}

# 2. IMAPS: pipe the message to a file, flag it, copy it to a new mailbox
run_mutt imaps "set folder=\"imaps://mc22@$imaps_HOST:$imaps_PORT/\"
set spoolfile=\"+INBOX\"
push '<limit>~s $s<enter><first-entry><pipe-message>cat > $WORK/out1<enter><flag-message><copy-message>=$box<enter><sync-mailbox><quit>'"
[ -s "$WORK/out1" ] || { showmutt imaps; fail "mutt over IMAPS piped nothing (message not found?)"; }
grep -qxF "Subject: $s" "$WORK/out1" && grep -qxF "body line of $s" "$WORK/out1" &&
    grep -qxF "..leading dot survives" "$WORK/out1" ||
    { showmutt imaps; fail "the message mutt read over IMAPS is not the one sent: $(cat "$WORK/out1")"; }
grep -aqE '> a[0-9]+ (UID )?STORE .*\\Flagged' "$WORK/imaps.debug" || { showmutt imaps; fail "mutt sent no STORE \\Flagged"; }
imap_dump mc22 "$WORK/dump1"
imap_msg "$WORK/dump1" "$s" "$WORK/srv1"
head -1 "$WORK/srv1" | grep -qF '\Flagged' || { showmutt imaps; fail "after mutt's flag + sync, the server has $(head -1 "$WORK/srv1")"; }
imap_dump mc22 "$WORK/dump1b" "$box"
imap_msg "$WORK/dump1b" "$s" "$WORK/srv1b" || { showmutt imaps; fail "mutt's copy is not in $box"; }
tail -n +2 "$WORK/srv1b" | cmp -s - "$WORK/out1" ||
    { diff "$WORK/out1" <(tail -n +2 "$WORK/srv1b") >&2; fail "the copy in $box differs from what mutt read"; }
note "ok: mutt IMAPS: read '$s', flagged it, copied it to $box (server agrees)"

# 3. imap:// with STARTTLS: the flagged copy in the new mailbox, then delete the original
run_mutt starttls "set folder=\"imap://mc22@$imap_HOST:$imap_PORT/\"
set ssl_starttls=yes
set spoolfile=\"+$box\"
push '<limit>~F ~s $s<enter><first-entry><pipe-message>cat > $WORK/out2<enter><change-folder>=INBOX<enter><limit>~s $s<enter><first-entry><delete-message><sync-mailbox><quit>'"
grep -aq '> a[0-9]* STARTTLS' "$WORK/starttls.debug" || { showmutt starttls; fail "mutt did not use STARTTLS on the imap port"; }
[ -s "$WORK/out2" ] || { showmutt starttls; fail "mutt over IMAP+STARTTLS found no flagged copy of '$s' in $box"; }
cmp -s "$WORK/out1" "$WORK/out2" || { diff "$WORK/out1" "$WORK/out2" >&2; fail "the copy mutt read differs from the original"; }
imap_dump mc22 "$WORK/dump2"
if grep -qxF "Subject: $s" "$WORK/dump2"; then
    showmutt starttls
    fail "after mutt's delete + sync, '$s' is still in INBOX"
fi
note "ok: mutt IMAP+STARTTLS: found the flagged copy in $box, deleted the original"
echo "ok: mutt IMAP interop"
