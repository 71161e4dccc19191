#!/bin/sh
# test_pam_signed.sh PAMDRIVE MODULE: with keys= the real pam_approve.so
# accepts "approved" only when it is signed by a pinned, non-retired
# approvald key over its own request id, digest and nonce. An impostor on
# the module's channel (fake_approvald.py) that answers "approved" with the
# correct digest but no signature, a garbage or altered signature, a key
# not pinned, a retired key, a signature over "denied", over another
# digest, or a replayed signature of an earlier request (another nonce,
# pasted or not) is denied with a log line saying why; a correctly signed
# answer is approved. The same holds for a policy allow, final in the
# create answer: signed it approves in one exchange; unsigned, by an
# unpinned key or over another status it is denied. Unusable keys= files
# (group-writable, not root's, a symlink, no keys) deny. Without keys=
# the unsigned answer is accepted (the documented weaker mode). Root only; needs python3-cryptography.
PAMDRIVE=$1
MODULE=$2
. "$(dirname "$0")/pamlib.sh"
FAKE=$(dirname "$(readlink -f "$0")")/fake_approvald.py
python3 -c 'import cryptography' 2>/dev/null ||
	{ echo "SKIP: python3-cryptography missing"; exit 77; }

# Three approvald keys: good (pinned), retired (pinned as retired),
# other (not pinned).
for k in good retired other; do
	openssl genpkey -algorithm ed25519 -out "$T/$k.key" 2>/dev/null
done
publine() {
	printf 'ed25519 %s' "$(openssl pkey -in "$1" -pubout -outform DER 2>/dev/null |
		tail -c 32 | base64 -w0)"
}
KEYS=$T/approvald.pub
{
	echo "# approvald signing keys"
	echo "$(publine "$T/good.key")"
	echo "$(publine "$T/retired.key") retired"
} > "$KEYS"
chmod 644 "$KEYS"

LOG=$T/fake.log
mkdir -m 0711 "$T/run"
printf 'sign_good\n' > "$T/mode"
FAKE_KEYS="good=$T/good.key,retired=$T/retired.key,other=$T/other.key" \
FAKE_LISTEN=unix:$T/run/fake.sock python3 "$FAKE" "$T/mode" "$T/port" "$LOG" \
	"$TOKEN_VALUE" 2>> "$T/err.fake" &
FPID=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/port" ] || { echo "Bail out! fake server did not start"; exit 1; }
URL=unix:$T/run/fake.sock
trap 'kill "$FPID" 2>/dev/null; rm -rf "$T"' EXIT

# run MODE [MODULE ARGS]: fake in MODE, an account stack, drive it
run() {
	printf '%s\n' "$1" > "$T/mode"
	: > "$LOG"
	service sg "account required $MODULE url=$URL token_file=$TOKEN timeout=20 $2"
	EXTRA_ENV=PAM_WRAPPER_DEBUGLEVEL=1 drive sg account
}
logged() { grep -q -- "$1" "$T/out"; }

run sign_good "keys=$KEYS"
check "signed by the pinned key: PAM_SUCCESS" result PAM_SUCCESS
check "signed: outcome shown" has '^INFO: Approved by bob.$'
check "signed: the module sent a nonce" grep -q '"nonce": "[0-9a-f]\{32\}"' "$LOG.ctx"

for m in sign_none:"without a signature" \
	 sign_garbage:"signature invalid" \
	 sign_flipped:"signature invalid" \
	 sign_unpinned:"not pinned in keys=" \
	 sign_retired:"by a retired key" \
	 sign_status:"signature invalid" \
	 sign_digest:"signature invalid" \
	 sign_replay:"signature invalid" \
	 sign_replay_echo:"signature invalid"; do
	mode=${m%%:*}
	why=${m#*:}
	run "$mode" "keys=$KEYS"
	check "$mode: denied" result PAM_PERM_DENIED
	check "$mode: not shown as approved" sh -c "! grep -q '^INFO: Approved' '$T/out'"
	check "$mode: the log says why ($why)" \
		grep -q "\"approved\".*$why" "$T/err"
done

# A policy's allow is final in the create answer: the same check applies.
run policy_signed "keys=$KEYS"
check "policy allow signed by the pinned key: PAM_SUCCESS" result PAM_SUCCESS
check "policy allow: outcome shown" has '^INFO: Approved by policy.$'
check "policy allow: one exchange (no wait)" sh -c "! grep -q '^GET' '$LOG'"
for m in policy_unsigned:"without a signature" \
	 policy_unpinned:"not pinned in keys=" \
	 policy_over_pending:"signature invalid"; do
	mode=${m%%:*}
	why=${m#*:}
	run "$mode" "keys=$KEYS"
	check "$mode: denied" result PAM_PERM_DENIED
	check "$mode: not shown as approved" sh -c "! grep -q '^INFO: Approved' '$T/out'"
	check "$mode: the log says why ($why)" grep -q "\"approved\".*$why" "$T/err"
done

# Without keys= the channel is all there is: the unsigned answer passes.
run sign_none ""
check "no keys=: unsigned approved accepted (weaker, documented)" result PAM_SUCCESS

# keys= files that must not be trusted: denied before anything is sent.
cp "$KEYS" "$T/gw.pub"; chmod 664 "$T/gw.pub"
cp "$KEYS" "$T/ow.pub"; chmod 646 "$T/ow.pub"
cp "$KEYS" "$T/nr.pub"; chown 65534 "$T/nr.pub"
ln -s "$KEYS" "$T/ln.pub"
echo "# nothing" > "$T/empty.pub"
echo "ed25519 notbase64!" > "$T/bad.pub"
for f in gw ow nr ln empty bad missing; do
	run sign_good "keys=$T/$f.pub"
	check "keys= $f: denied" result PAM_PERM_DENIED
	check "keys= $f: logged" grep -q "pinned keys refused" "$T/err"
	check "keys= $f: nothing sent" sh -c "! grep -q '^POST' '$LOG'"
done

finish
