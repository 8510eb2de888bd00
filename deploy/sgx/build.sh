#!/usr/bin/env bash
# Builds the SGX enclave of ekms-server: the reproducible binary (deploy/reproducible-build.sh),
# the manifest rendered from deploy/sgx/ekms-server.manifest.template by gramine-manifest, the
# signed manifest (.manifest.sgx) and SIGSTRUCT (.sig) from gramine-sgx-sign, then the
# measurement block as the server prints it at start, read from the .sig by
# `ekms enclave sigstruct --measurement`. docs/deploy-sgx.md walks through it.
#
# Usage: deploy/sgx/build.sh (--key PEM | --emulation) [options] [-D name=value ...]
#   --key PEM          the enclave signing key (RSA-3072, exponent 3: gramine-sgx-gen-private-key)
#   --emulation        sign with a throwaway RSA-3072 exponent-3 key made for this run: the
#                      mr_enclave is the release's (it does not depend on the key), the
#                      mr_signer is not; this is how users rebuild and compare
#   --debug            render a debug enclave (sgx.debug = true; `ekms trust` refuses it
#                      without --allow-debug)
#   --binary PATH      use this ekms-server instead of building it (the container's builder
#                      stage built it already)
#   --entrypoint PATH  where the enclave's binary lives, as the manifest names it
#                      [default: /ekms/ekms-server, the container's path; the binary is
#                      copied there, and mr_enclave depends on this path]
#   --out DIR          where the manifest, .manifest.sgx and .sig go [default: the
#                      entrypoint's directory]
#   --arch-libdir DIR  the host's library directory [default: /lib/$(cc -dumpmachine)]
#   --ekms PATH        the ekms CLI [default: `ekms` on PATH, else built with cargo]
#   --template FILE    the manifest template [default: deploy/sgx/ekms-server.manifest.template]
#   -D name=value      passed to gramine-manifest as is
# Exit status: 0 built, 1 failed, 2 Gramine is not installed.
set -euo pipefail
here="${BASH_SOURCE[0]%/*}"
[ "$here" != "${BASH_SOURCE[0]}" ] || here=.
src="$(cd "$here/../.." && pwd -P)"
template="$src/deploy/sgx/ekms-server.manifest.template"
app=ekms-server

die() { echo "build.sh: $*" >&2; exit 1; }

key="" emulation=0 debug=0 binary="" entrypoint=/ekms/ekms-server out="" arch_libdir="" ekms=""
defines=()
while [ $# -gt 0 ]; do
    case "$1" in
        --key) [ $# -ge 2 ] || die "--key needs a file"; key="$2"; shift 2 ;;
        --emulation) emulation=1; shift ;;
        --debug) debug=1; shift ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a file"; binary="$2"; shift 2 ;;
        --entrypoint) [ $# -ge 2 ] || die "--entrypoint needs a path"; entrypoint="$2"; shift 2 ;;
        --out) [ $# -ge 2 ] || die "--out needs a directory"; out="$2"; shift 2 ;;
        --arch-libdir) [ $# -ge 2 ] || die "--arch-libdir needs a directory"; arch_libdir="$2"; shift 2 ;;
        --ekms) [ $# -ge 2 ] || die "--ekms needs a file"; ekms="$2"; shift 2 ;;
        --template) [ $# -ge 2 ] || die "--template needs a file"; template="$2"; shift 2 ;;
        -D) [ $# -ge 2 ] || die "-D needs name=value"; defines+=("-D$2"); shift 2 ;;
        -D*) defines+=("$1"); shift ;;
        -h|--help) sed -n '2,/^# Exit status/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done

# Checked before anything is built: without Gramine there is nothing this script can do.
for tool in gramine-manifest gramine-sgx-sign; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build.sh: Gramine is not installed ($tool not found): install it from Gramine's package repository, see docs/deploy-sgx.md" >&2
        exit 2
    fi
done

if [ -n "$key" ] && [ "$emulation" = 1 ]; then die "give --key or --emulation, not both"; fi
if [ -z "$key" ] && [ "$emulation" = 0 ]; then
    die "give --key PEM (the release signing key) or --emulation (a throwaway key, to compare mr_enclave)"
fi
[ -z "$key" ] || [ -r "$key" ] || die "cannot read the signing key $key"
[ -r "$template" ] || die "the manifest template $template is missing"
case "$entrypoint" in /*) ;; *) die "--entrypoint must be an absolute path (the manifest names it)" ;; esac
[ -n "$out" ] || out="${entrypoint%/*}"
[ -n "$arch_libdir" ] || arch_libdir="/lib/$(cc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ "$emulation" = 1 ]; then
    command -v openssl >/dev/null 2>&1 || die "--emulation needs openssl to make the throwaway key"
    # SGX needs RSA-3072 with public exponent 3; the key lives only as long as this run.
    openssl genrsa -3 -out "$work/throwaway-key.pem" 3072 2>/dev/null
    key="$work/throwaway-key.pem"
fi

if [ -z "$binary" ]; then
    binary="$("$src/deploy/reproducible-build.sh" | tail -n 1 | sed 's/^sha256 [0-9a-f]*  //')"
fi
[ -x "$binary" ] || die "$binary is not an executable ekms-server"
if [ "$(cd "${binary%/*}" && pwd -P)/${binary##*/}" != "$(cd "${entrypoint%/*}" 2>/dev/null && pwd -P)/${entrypoint##*/}" ]; then
    install -D -m 0755 "$binary" "$entrypoint" 2>/dev/null \
        || die "cannot install the binary at $entrypoint: create its directory and make it writable (sudo install -d -o \"\$USER\" ${entrypoint%/*}), or pass --entrypoint (mr_enclave then differs from the published one)"
fi

if [ -z "$ekms" ]; then
    if command -v ekms >/dev/null 2>&1; then
        ekms="$(command -v ekms)"
    else
        (cd "$src" && cargo build --release --locked -p ekms-cli --bin ekms >&2)
        ekms="${CARGO_TARGET_DIR:-$src/target}/release/ekms"
    fi
fi

mkdir -p "$out"
gramine-manifest \
    "-Dentrypoint=$entrypoint" "-Darch_libdir=$arch_libdir" "-Ddebug=$debug" \
    ${defines[@]+"${defines[@]}"} \
    "$template" "$out/$app.manifest"
# The SIGSTRUCT's date field does not enter mr_enclave; the last commit's date keeps the .sig
# of one key the same from build to build.
epoch="${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)}"
sig_date="$(date -u -d "@$epoch" +%Y-%m-%d)"
gramine-sgx-sign --key "$key" --date "$sig_date" \
    --manifest "$out/$app.manifest" --output "$out/$app.manifest.sgx" --sigfile "$out/$app.sig" >&2

"$ekms" enclave sigstruct --measurement "$out/$app.sig"
