#!/usr/bin/env bash
# Cosmian's `ckms` 5.28 (the client of the KMS ekms descends from) against the real ekms-server.
#
# What it does:
#   1. installs `ckms` 5.28.0 from crates.io once into a cache dir outside the clone
#      (`cargo install --locked`, a few minutes; reused while the binary answers 5.28.0);
#   2. starts the server on an ephemeral port with temporary data and platform dirs and
#      registers a group over HTTPS;
#   3. writes a ckms.toml for it (the group secret as `database_secret`, which ckms sends in the
#      `DatabaseSecret` header; the server's certificate as `verified_cert`) and runs, each of
#      which must succeed: server version; sym keys create; sym encrypt / sym decrypt (the
#      round trip must give the plaintext back); sym keys export; locate by tag; sym keys
#      revoke; sym keys destroy; rsa keys create (a key pair); rsa keys revoke and rsa keys
#      destroy of its private key (ckms sends Cascade: the public key must follow, as the
#      server's own GetAttributes shows); secret-data create; access-rights owned (the key
#      made above must be listed). A command listed in known_failures (with its reason) must
#      fail, and is reported, not counted.
#
# Settings (environment):
#   EKMS_SERVER_BIN  the server binary to test (default: `cargo build -p ekms-server`, then
#                    $CARGO_TARGET_DIR/debug/ekms-server)
#   EKMS_CKMS_ROOT   where ckms is installed (default /var/tmp/ekms-ckms; binary in bin/ckms)
#   EKMS_CKMS_KEEP=1 keep the work dir (server log, ckms output) for inspection
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=ci/lib.sh
source "$root/ci/lib.sh"
ckms_version=5.28.0
ckms_root=${EKMS_CKMS_ROOT:-/var/tmp/ekms-ckms}
ckms="$ckms_root/bin/ckms"

say() { echo "ckms: $*"; }
die() { echo "ckms: FAILED: $*" >&2; exit 1; }

ekms_work_dir ckms "${EKMS_CKMS_KEEP:-0}"
work=$EKMS_WORK

# --- 1. the client, built once -----------------------------------------------------------
if ! "$ckms" --version 2>/dev/null | grep -q " $ckms_version\$"; then
    say "installing ckms $ckms_version into $ckms_root (a few minutes, once)"
    # Its own target dir, deleted once the binary is installed: only the binary is kept.
    build="$ckms_root.build"
    CARGO_TARGET_DIR="$build" cargo install --quiet --locked ckms --version "$ckms_version" \
        --root "$ckms_root" || die "cannot install ckms $ckms_version (cargo install)"
    rm -rf "$build"
fi
"$ckms" --version | grep -q " $ckms_version\$" || die "$ckms is not ckms $ckms_version"

# --- 2. the server, a group ----------------------------------------------------------------
ekms_start_server "$root" || die "ekms-server did not start"
url=$EKMS_URL
cert="$work/data/certificate.pem"
say "server at $url"

secret=$(curl -sS --fail --cacert "$cert" -X POST "$url/register" |
    sed -n 's/.*"secret" *: *"\([^"]*\)".*/\1/p')
[ -n "$secret" ] || die "POST /register gave no secret"

# --- 3. ckms's commands ----------------------------------------------------------------------
conf="$work/ckms.toml"
{
    echo "[http_config]"
    echo "server_url = \"$url\""
    echo "database_secret = \"$secret\""
    echo "verified_cert = '''"
    cat "$cert"
    echo "'''"
} > "$conf"
chmod 600 "$conf"

failures=0
# Commands known to fail today, each with its reason (docs/kmip.md, "Cosmian's ckms"). A known
# failure is shown as KNOWN FAIL and not counted; a known failure that passes is counted, so
# that this list is kept true (remove the entry once it is fixed).
declare -A known_failures=()
# Runs one ckms command; its output is in $out. A failure is counted and shown, and its status
# returned (callers go on with `|| :`, so that every command runs).
run() {
    local name=$1
    shift
    local known=${known_failures[$name]:-}
    if out=$("$ckms" --conf-path "$conf" "$@" 2>&1); then
        if [ -n "$known" ]; then
            failures=$((failures + 1))
            say "FAIL $name: listed as a known failure but passes: remove it from known_failures"
            return 0
        fi
        say "PASS $name"
        return 0
    fi
    if [ -n "$known" ]; then
        say "KNOWN FAIL $name: $known"
        return 1
    fi
    failures=$((failures + 1))
    say "FAIL $name: ckms $*"
    echo "$out" | sed 's/^/    /' >&2
    return 1
}
# The Unique identifier ckms prints for an object it made.
uid_in() { sed -n 's/.*Unique identifier: *\([^ ]*\).*/\1/p' <<<"$1" | head -n1; }

tag="ekms-ci-$$"
run "server version" server version && { grep -q "ekms" <<<"$out" || { failures=$((failures + 1)); say "FAIL server version: no ekms in: $out"; }; }
uid=
run "sym keys create" sym keys create --tag "$tag" && uid=$(uid_in "$out")
if [ -n "$uid" ]; then
    printf 'the plaintext of ekms ci/ckms\n' > "$work/plain.txt"
    run "sym encrypt" sym encrypt --key-id "$uid" -o "$work/cipher.bin" "$work/plain.txt" &&
        run "sym decrypt" sym decrypt --key-id "$uid" -o "$work/back.txt" "$work/cipher.bin" &&
        { cmp -s "$work/plain.txt" "$work/back.txt" || { failures=$((failures + 1)); say "FAIL sym decrypt: the round trip changed the plaintext"; }; }
    run "sym keys export" sym keys export --key-id "$uid" "$work/key.json" || :
    run "locate by tag" locate --tag "$tag" && { grep -q "$uid" <<<"$out" || { failures=$((failures + 1)); say "FAIL locate: $uid not in: $out"; }; }
    run "sym keys revoke" sym keys revoke --key-id "$uid" "ekms ci" || :
    run "sym keys destroy" sym keys destroy --key-id "$uid" || :
else
    failures=$((failures + 1))
    say "FAIL sym keys create: no Unique identifier in: $out"
fi
# A key pair: ckms revokes and destroys through the private key with Cascade, which must move
# the public key too.
private= public=
run "rsa keys create (key pair)" rsa keys create --tag "$tag-pair" && {
    private=$(sed -n 's/.*Private key unique identifier: *\([^ ]*\).*/\1/p' <<<"$out" | head -n1)
    public=$(sed -n 's/.*Public key unique identifier: *\([^ ]*\).*/\1/p' <<<"$out" | head -n1)
}
# The State attribute of object $1, read from the server itself (ckms does not print it).
state_of() {
    curl -sS --cacert "$cert" -H "KmsDatabaseSecret: $secret" -H "Content-Type: application/json" \
        -d "{\"tag\":\"GetAttributes\",\"value\":[{\"tag\":\"UniqueIdentifier\",\"type\":\"TextString\",\"value\":\"$1\"},{\"tag\":\"AttributeReference\",\"type\":\"Enumeration\",\"value\":\"State\"}]}" \
        "$url/kmip/2_1"
}
if [ -n "$private" ] && [ -n "$public" ]; then
    run "rsa keys revoke (cascade)" rsa keys revoke --key-id "$private" "ekms ci" &&
        { grep -q '"Deactivated"' <<<"$(state_of "$public")" || { failures=$((failures + 1)); say "FAIL rsa keys revoke: the public key is not Deactivated: $(state_of "$public")"; }; }
    run "rsa keys destroy (cascade)" rsa keys destroy --key-id "$private" &&
        { grep -q '"Destroyed"' <<<"$(state_of "$public")" || { failures=$((failures + 1)); say "FAIL rsa keys destroy: the public key is not Destroyed: $(state_of "$public")"; }; }
else
    failures=$((failures + 1))
    say "FAIL rsa keys create: no private and public identifiers in: $out"
fi
run "secret-data create" secret-data create --tag "$tag-secret" || :
run "access-rights owned" access-rights owned && { [ -z "$uid" ] || grep -q "$uid" <<<"$out" || { failures=$((failures + 1)); say "FAIL access-rights owned: $uid not in: $out"; }; }

if [ "$failures" != 0 ]; then
    say "server log: $work/server.log (EKMS_CKMS_KEEP=1 keeps it)"
    tail -n 40 "$work/server.log" >&2
    die "$failures ckms command(s) failed"
fi
say "every ckms command passed"
