#!/usr/bin/env bash
# ekms side by side with PyKMIP's server, the machine's HTTPS ceiling and the signing primitives,
# in one run, all measured by the same load generator (`ekms bench`) on this machine.
# Prints one table of ratios with the machine, the date and the commit.
#
# What it does:
#   1. builds the release binaries (cargo build --release --locked -p ekms-server -p ekms-cli);
#   2. makes a throwaway PKI (ECDSA P-256), starts ekms-server on ephemeral loopback ports with
#      its binary KMIP socket (--kmip-client-ca) and registers a group; installs PyKMIP's server
#      into a venv (bench/requirements.txt) and starts it with TLS and client certificates;
#   3. for encrypt, decrypt, get, locate, hmac, sign-rsa, sign-ecdsa and create: `ekms bench`
#      over binary TTLV at KMIP 1.4 against ekms, then against PyKMIP (create last: PyKMIP's
#      Locate reads every object, and a create run leaves thousands);
#   4. AES-256-GCM 1 KiB Encrypt over HTTPS JSON against ekms, and the same requests against
#      nginx answering every POST with one of ekms's real answers (captured in this run; the
#      same size and content type) over TLS with an ECDSA P-256 certificate: the HTTPS ceiling
#      (`ekms bench --static-answer`), over HTTP/1.1 (`--http1`) and over HTTP/2;
#   5. the criterion benchmarks of ECDSA P-256 and RSA-2048 signing (`cargo bench -p ekms-crypto
#      --bench primitives -- <filter> --quick`): the single-core rate ekms's Sign is held to;
#   6. the table (bench/table.py); with --markdown FILE, also as Markdown in FILE.
# Every process it started is stopped on exit.
#
# Usage: bench/compare.sh [--markdown FILE]
# Settings (environment; defaults in brackets):
#   EKMS_BENCH_SECONDS [10]  EKMS_BENCH_WARMUP [2]  EKMS_BENCH_CONNECTIONS [16]   ekms runs
#   EKMS_BENCH_PYKMIP_SECONDS [5]  EKMS_BENCH_PYKMIP_WARMUP [1]
#   EKMS_BENCH_PYKMIP_CONNECTIONS [EKMS_BENCH_CONNECTIONS]                         PyKMIP runs
#   EKMS_BENCH_OPS ["encrypt decrypt get locate hmac sign-rsa sign-ecdsa create"]
#   EKMS_BENCH_VENV [/var/tmp/ekms-bench-venv], CARGO_TARGET_DIR, EKMS_BENCH_NO_BUILD=1,
#   EKMS_BENCH_KEEP=1 (see bench/lib.sh)
set -euo pipefail
BENCH_NAME=compare
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

markdown=
while [ $# -gt 0 ]; do
    case $1 in
        --markdown)
            [ $# -ge 2 ] || bench_die "--markdown needs a FILE"
            markdown=$2
            shift 2
            ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) bench_die "unknown argument $1 (usage: bench/compare.sh [--markdown FILE])" ;;
    esac
done
if [ -n "$markdown" ]; then
    # Relative to where the script was started, and writable before the long run starts.
    case $markdown in /*) ;; *) markdown=$PWD/$markdown ;; esac
    : > "$markdown" || bench_die "cannot write $markdown"
fi

seconds=${EKMS_BENCH_SECONDS:-10}
warmup=${EKMS_BENCH_WARMUP:-2}
connections=${EKMS_BENCH_CONNECTIONS:-16}
py_seconds=${EKMS_BENCH_PYKMIP_SECONDS:-5}
py_warmup=${EKMS_BENCH_PYKMIP_WARMUP:-1}
py_connections=${EKMS_BENCH_PYKMIP_CONNECTIONS:-$connections}
ops=${EKMS_BENCH_OPS:-encrypt decrypt get locate hmac sign-rsa sign-ecdsa create}

bench_init
bench_binaries
bench_pki "$BENCH_WORK/pki"
bench_start_ekms
bench_start_pykmip

# Binary TTLV: ekms's socket presents its own (self-signed, ECDSA P-256) certificate, for the
# name `localhost`; PyKMIP presents the bench CA's server certificate for 127.0.0.1. Both get
# the group secret of the config as the credential's password (PyKMIP, without authentication
# plugins, ignores it), so that the requests are the same.
ekms_kmip=(--ca "$EKMS_SERVER_CERT" --client-cert "$BENCH_WORK/pki/client.pem"
    --client-key "$BENCH_WORK/pki/client.key")
pykmip_kmip=(--ca "$BENCH_WORK/pki/ca.pem" --client-cert "$BENCH_WORK/pki/client.pem"
    --client-key "$BENCH_WORK/pki/client.key")

rows=$BENCH_WORK/rows.tsv
: > "$rows"
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$rows"; }

describe() {
    case $1 in
        encrypt) echo "AES-256-GCM encrypt 1 KiB" ;;
        decrypt) echo "AES-256-GCM decrypt 1 KiB" ;;
        get) echo "get AES-256 key" ;;
        locate) echo "locate by name" ;;
        hmac) echo "HMAC-SHA256 1 KiB" ;;
        sign-rsa) echo "RSA-2048 sign 1 KiB" ;;
        sign-ecdsa) echo "ECDSA P-256 sign 1 KiB" ;;
        create) echo "create AES-256 key" ;;
        *) echo "$1" ;;
    esac
}

# --- binary TTLV at KMIP 1.4: ekms and PyKMIP -------------------------------------------------------
for op in $ops; do
    bench_say "$op: ekms (binary TTLV 1.4, $connections connections, ${seconds} s)"
    ekms_report=$(bench_run "ekms-$op" "${ekms_kmip[@]}" -- --kmip "$EKMS_KMIP" --tls-server-name localhost \
        --kmip-version 1.4 --op "$op" --connections "$connections" \
        --duration "$seconds" --warmup "$warmup")
    if [ "$op" = sign-ecdsa ]; then
        # PyKMIP 0.11 makes no ECDSA key pair (CreateKeyPair: RSA only) and signs with RSA only.
        row pykmip "$(describe "$op")" "binary TTLV 1.4" "$ekms_report" "PyKMIP $PYKMIP_VERSION" - \
            "PyKMIP: no ECDSA"
        continue
    fi
    bench_say "$op: PyKMIP (binary TTLV 1.4, $py_connections connections, ${py_seconds} s)"
    py_report=$(bench_run "pykmip-$op" "${pykmip_kmip[@]}" -- --kmip "$PYKMIP_ADDR" --kmip-version 1.4 \
        --op "$op" --connections "$py_connections" \
        --duration "$py_seconds" --warmup "$py_warmup")
    row pykmip "$(describe "$op")" "binary TTLV 1.4" "$ekms_report" "PyKMIP $PYKMIP_VERSION" \
        "$py_report" ""
done

# --- HTTPS JSON: ekms and the ceiling ---------------------------------------------------------------
answer=$BENCH_WORK/encrypt-answer.json
bench_run capture -- --op encrypt --count 1 --save-answer "$answer" > /dev/null
bench_start_nginx "$answer" application/json
bench_same_alpn
nginx_globals=(--server-url "$NGINX_URL" --ca "$BENCH_WORK/pki/ca.pem")
# Twice: HTTP/1.1 (--http1, one request at a time per connection, as most load tools send) and
# HTTP/2 (what ekms's own clients negotiate), each against ekms and against nginx.
for proto in http1 h2; do
    if [ "$proto" = http1 ]; then
        flag=(--http1)
        label="HTTPS JSON 2.1, HTTP/1.1"
    else
        flag=()
        label="HTTPS JSON 2.1, HTTP/2"
    fi
    bench_say "encrypt: ekms ($label, $connections connections, ${seconds} s)"
    json_report=$(bench_run "ekms-json-encrypt-$proto" -- "${flag[@]}" --op encrypt \
        --connections "$connections" --duration "$seconds" --warmup "$warmup")
    bench_say "encrypt: nginx static answer ($label, $connections connections, ${seconds} s)"
    nginx_report=$(bench_run "nginx-json-encrypt-$proto" "${nginx_globals[@]}" -- --static-answer \
        "${flag[@]}" --op encrypt --connections "$connections" --duration "$seconds" --warmup "$warmup")
    for field in request_bytes answer_bytes; do
        [ "$(bench_field "$json_report" "$field")" = "$(bench_field "$nginx_report" "$field")" ] \
            || bench_die "ekms and nginx runs differ in $field: not the same exchange"
    done
    row ceiling "$(describe encrypt)" "$label" "$json_report" "nginx static answer" \
        "$nginx_report" "ceiling"
done

# --- signing primitives on one core ------------------------------------------------------------------
sign_ops=
for op in $ops; do
    case $op in sign-rsa | sign-ecdsa) sign_ops="$sign_ops $op" ;; esac
done
if [ -n "$sign_ops" ]; then
    bench_say "criterion: ECDSA P-256 and RSA-2048 signing (--quick)"
    # Estimates older than this run (a filter that matched nothing) must not be read.
    touch "$BENCH_WORK/criterion.stamp"
    (cd "$bench_root" && cargo bench --locked -q -p ekms-crypto --bench primitives -- \
        '^(ecdsa-p256-sha256|rsa-2048-pkcs1v15-sha256)/sign$' --quick) \
        > "$BENCH_WORK/criterion.log" 2>&1 || {
        tail -n 30 "$BENCH_WORK/criterion.log" >&2
        bench_die "cargo bench -p ekms-crypto --bench primitives failed"
    }
    criterion=${CARGO_TARGET_DIR:-$bench_root/target}/criterion
    for op in $sign_ops; do
        case $op in
            sign-ecdsa) id=ecdsa-p256-sha256_sign ;;
            sign-rsa) id=rsa-2048-pkcs1v15-sha256_sign ;;
        esac
        # criterion names the directory of benchmark `a/b` a_b.
        estimates=$criterion/$id/new/estimates.json
        [ "$estimates" -nt "$BENCH_WORK/criterion.stamp" ] \
            || bench_die "criterion wrote no $estimates in this run"
        row primitive "$(describe "$op")" "binary TTLV 1.4" "$BENCH_WORK/reports/ekms-$op.json" \
            "aws-lc, 1 core (criterion)" "$estimates" ""
    done
fi

# --- the table -----------------------------------------------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
commit=$(git -C "$bench_root" rev-parse --short=12 HEAD 2> /dev/null || echo unknown)
# Optional locks off: reading the status must not take the index lock from someone committing.
if [ -n "$(GIT_OPTIONAL_LOCKS=0 git -C "$bench_root" status --porcelain --untracked-files=no 2> /dev/null)" ]; then
    commit="$commit (with uncommitted changes)"
fi
client_cpu() { # the load generator's CPU per operation in a report, when it was measured
    local v=
    [ -f "$1" ] && v=$(bench_field "$1" client_cpu_us_per_op)
    if [ -n "$v" ]; then printf '%.1f µs' "$v"; else echo "not measured"; fi
}
# The header and notes of the table, as arguments (no quoting of their text into code).
python3 -c 'import json, sys
json.dump({"title": sys.argv[2], "lines": sys.argv[3:7], "notes": sys.argv[7:]}, open(sys.argv[1], "w"))' \
    "$BENCH_WORK/meta.json" \
    "ekms vs PyKMIP, the HTTPS ceiling and the signing primitives (bench/compare.sh)" \
    "machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, Linux $(uname -r)" \
    "date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $(rustc --version 2> /dev/null || echo 'rustc ?')" \
    "ekms: $connections connections, ${seconds} s after ${warmup} s of warm-up; PyKMIP $PYKMIP_VERSION: $py_connections connections, ${py_seconds} s after ${py_warmup} s of warm-up; HTTPS JSON over HTTP/1.1 (ekms bench --http1) and over $BENCH_HTTP (ALPN, with ekms-server and nginx $NGINX_VERSION)" \
    "load generator: ekms bench on the same machine, over loopback; command: EKMS_BENCH_SECONDS=$seconds EKMS_BENCH_CONNECTIONS=$connections EKMS_BENCH_PYKMIP_SECONDS=$py_seconds bench/compare.sh" \
    "ratio: ekms ops/s divided by the other's. 'of it': a fraction of the HTTPS ceiling (nginx answering the same requests with an answer of ekms captured in the run) or of the single-core rate of the signing primitive (criterion --quick; ekms signs on every core)." \
    "load generator CPU per operation: HTTPS JSON (HTTP/1.1) to ekms $(client_cpu "$BENCH_WORK/reports/ekms-json-encrypt-http1.json"), to nginx $(client_cpu "$BENCH_WORK/reports/nginx-json-encrypt-http1.json"); (HTTP/2) to ekms $(client_cpu "$BENCH_WORK/reports/ekms-json-encrypt-h2.json"), to nginx $(client_cpu "$BENCH_WORK/reports/nginx-json-encrypt-h2.json"); binary TTLV encrypt to ekms $(client_cpu "$BENCH_WORK/reports/ekms-encrypt.json")."
echo
python3 "$bench_root/bench/table.py" "$rows" "$BENCH_WORK/meta.json" ${markdown:+"$markdown"} \
    || bench_die "a run had errors (see the table)"
[ -z "$markdown" ] || bench_say "Markdown written to $markdown"
