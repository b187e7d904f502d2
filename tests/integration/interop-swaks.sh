#!/usr/bin/env bash
# interop-swaks.sh DIR — swaks against the reference server started in DIR: mc08 -> mc09 over
# submission with STARTTLS (certificate verified) and AUTH PLAIN, LOGIN and CRAM-MD5 in turn,
# and over SMTPS (--tls-on-connect); every message must then be in mc09's mailbox (POP3S), and
# a wrong password must make swaks fail and deliver nothing.
# shellcheck disable=SC2154 # NAME_HOST, NAME_PORT, PW_user: set by interop-lib.sh from target.json
# shellcheck source=tests/integration/interop-lib.sh
. "$(dirname "$0")/interop-lib.sh" "$@"

command -v swaks >/dev/null || fail "swaks is not installed (tools/install-deps test-tools)"
perl -MNet::SSLeay -e1 2>/dev/null || fail "libnet-ssleay-perl is not installed (swaks needs it for TLS)"

SWAKS=(swaks --silent 1 --timeout 30 --from "mc08@$DOMAIN" --to "mc09@$DOMAIN"
    --helo client.interop.test --tls-verify --tls-ca-path "$CA" --auth-user mc08)

subjects=()
for mech in PLAIN LOGIN CRAM-MD5; do
    s="swaks-$mech-$TAG"
    "${SWAKS[@]}" --server "$submission_HOST" --port "$submission_PORT" --tls \
        --auth "$mech" --auth-password "$PW_mc08" --header "Subject: $s" \
        --body "swaks body for $s" >"$WORK/out" 2>&1 ||
        { st=$?; cat "$WORK/out" >&2; fail "swaks submission STARTTLS + AUTH $mech: exit $st"; }
    subjects+=("$s")
done

s="swaks-smtps-$TAG"
"${SWAKS[@]}" --server "$smtps_HOST" --port "$smtps_PORT" --tls-on-connect \
    --auth PLAIN --auth-password "$PW_mc08" --header "Subject: $s" --body "swaks body for $s" \
    >"$WORK/out" 2>&1 || { cat "$WORK/out" >&2; fail "swaks SMTPS + AUTH PLAIN failed"; }
subjects+=("$s")

bad="swaks-badpw-$TAG"
if "${SWAKS[@]}" --server "$submission_HOST" --port "$submission_PORT" --tls --auth PLAIN \
    --auth-password "wrong-$TAG" --header "Subject: $bad" >"$WORK/out" 2>&1; then
    fail "swaks with a wrong password succeeded"
fi
grep -E '^ *<~?\*? +535' "$WORK/out" >&2 || note "(wrong password refused; swaks output has no 535 line)"

pop3_dump mc09 "$WORK/dump"
for s in "${subjects[@]}"; do
    grep -qxF "Subject: $s" "$WORK/dump" || fail "message '$s' sent by swaks is not in mc09's mailbox"
    grep -qxF "swaks body for $s" "$WORK/dump" || fail "body of '$s' did not arrive"
    note "ok: $s arrived"
done
if grep -qF "Subject: $bad" "$WORK/dump"; then fail "a message was delivered after a failed AUTH"; fi
echo "ok: swaks interop"
