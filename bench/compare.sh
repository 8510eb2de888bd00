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
#   6. with --with-cosmian (never run by .ci/run): Cosmian KMS 5.28.0 beside ekms, built once
#      from the crate registry into a cache dir (bench/cosmian.sh: 30 to 60 minutes on 2 cores
#      the first time), started with SQLite, its HTTPS route and its KMIP socket (client
#      certificates of the bench CA); encrypt, decrypt, get, locate and create, each over
#      binary TTLV 1.4 (mutual TLS) and over HTTPS JSON `/kmip/2_1` (HTTP/1.1), against ekms
#      (a group registered for these runs) and against Cosmian (`ekms bench --no-secret`: it
#      has no groups, no authentication is configured), one workload after the other, create
#      last; rows with the ratio ekms/Cosmian. Cosmian runs with its defaults: its database is
#      not encrypted and its audit log is off, where ekms encrypts every group's database and
#      writes an audit row before each answer;
#   7. the table (bench/table.py); with --markdown FILE, also as Markdown in FILE.
# Every process it started is stopped on exit.
#
# Usage: bench/compare.sh [--markdown FILE] [--with-cosmian]
# Settings (environment; defaults in brackets):
#   EKMS_BENCH_SECONDS [10]  EKMS_BENCH_WARMUP [2]  EKMS_BENCH_CONNECTIONS [16]   ekms runs
#   EKMS_BENCH_PYKMIP_SECONDS [5]  EKMS_BENCH_PYKMIP_WARMUP [1]
#   EKMS_BENCH_PYKMIP_CONNECTIONS [EKMS_BENCH_CONNECTIONS]                         PyKMIP runs
#   EKMS_BENCH_OPS ["encrypt decrypt get locate hmac sign-rsa sign-ecdsa create"]
#   EKMS_BENCH_VENV [/var/tmp/ekms-bench-venv], CARGO_TARGET_DIR, EKMS_BENCH_NO_BUILD=1,
#   EKMS_BENCH_KEEP=1 (see bench/lib.sh)
#   EKMS_COSMIAN_CACHE [/var/tmp/ekms-cosmian]   where Cosmian KMS is built (bench/cosmian.sh)
set -euo pipefail
BENCH_NAME=compare
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

markdown=
with_cosmian=0
while [ $# -gt 0 ]; do
    case $1 in
        --markdown)
            [ $# -ge 2 ] || bench_die "--markdown needs a FILE"
            markdown=$2
            shift 2
            ;;
        --with-cosmian)
            with_cosmian=1
            shift
            ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) bench_die "unknown argument $1 (usage: bench/compare.sh [--markdown FILE] [--with-cosmian])" ;;
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
if [ "$with_cosmian" = 1 ]; then
    # shellcheck source=bench/cosmian.sh
    source "$bench_root/bench/cosmian.sh"
    cosmian_build
fi
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
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

# --- Cosmian KMS beside ekms (--with-cosmian) -------------------------------------------------------
cosmian_workloads="encrypt decrypt get locate create"
if [ "$with_cosmian" = 1 ]; then
    cosmian_start
    # A group of its own for ekms's runs here, so that both servers start this section empty
    # and see the same sequence of workloads (the runs above left thousands of keys).
    side_config=$BENCH_WORK/ekms-side.toml
    EKMS_CONFIG=$side_config "$EKMS_BIN" --server-url "$EKMS_URL" --ca "$EKMS_SERVER_CERT" \
        register > "$BENCH_WORK/register-side.log" 2>&1 \
        || bench_die "cannot register a second group on ekms-server"
    client_identity=(--client-cert "$BENCH_WORK/pki/client.pem" --client-key "$BENCH_WORK/pki/client.key")
    # Cosmian presents the bench CA's server certificate (for 127.0.0.1) on both listeners
    # and checks client certificates against the bench CA on both.
    cosmian_kmip=(--ca "$BENCH_WORK/pki/ca.pem" "${client_identity[@]}")
    cosmian_json=(--server-url "$COSMIAN_URL" --ca "$BENCH_WORK/pki/ca.pem" "${client_identity[@]}")
    cosmian_load_start=$(cut -d' ' -f1-3 /proc/loadavg)
    # One workload after the other, create last (it leaves thousands of keys), each over both
    # transports, ekms then Cosmian.
    for op in $cosmian_workloads; do
        run=(--op "$op" --connections "$connections" --duration "$seconds" --warmup "$warmup")
        binary=(--kmip-version 1.4 "${run[@]}")
        json=(--http1 "${run[@]}")
        bench_say "$op: ekms and Cosmian KMS (binary TTLV 1.4, then HTTPS JSON over HTTP/1.1; $connections connections, ${seconds} s each)"
        ekms_report=$(EKMS_CONFIG=$side_config bench_run "side-ekms-$op" "${ekms_kmip[@]}" -- \
            --kmip "$EKMS_KMIP" --tls-server-name localhost "${binary[@]}")
        cosmian_report=$(bench_run "cosmian-$op" "${cosmian_kmip[@]}" -- --no-secret \
            --kmip "$COSMIAN_KMIP" "${binary[@]}")
        row cosmian "$(describe "$op")" "binary TTLV 1.4" "$ekms_report" \
            "Cosmian KMS $cosmian_version" "$cosmian_report" ""
        ekms_report=$(EKMS_CONFIG=$side_config bench_run "side-ekms-json-$op" -- "${json[@]}")
        cosmian_report=$(bench_run "cosmian-json-$op" "${cosmian_json[@]}" -- --no-secret "${json[@]}")
        row cosmian "$(describe "$op")" "HTTPS JSON 2.1, HTTP/1.1" "$ekms_report" \
            "Cosmian KMS $cosmian_version" "$cosmian_report" ""
    done
    cosmian_load_end=$(cut -d' ' -f1-3 /proc/loadavg)
fi

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
notes=(
    "ratio: ekms ops/s divided by the other's. 'of it': a fraction of the HTTPS ceiling (nginx answering the same requests with an answer of ekms captured in the run) or of the single-core rate of the signing primitive (criterion --quick; ekms signs on every core)."
    "load generator CPU per operation: HTTPS JSON (HTTP/1.1) to ekms $(client_cpu "$BENCH_WORK/reports/ekms-json-encrypt-http1.json"), to nginx $(client_cpu "$BENCH_WORK/reports/nginx-json-encrypt-http1.json"); (HTTP/2) to ekms $(client_cpu "$BENCH_WORK/reports/ekms-json-encrypt-h2.json"), to nginx $(client_cpu "$BENCH_WORK/reports/nginx-json-encrypt-h2.json"); binary TTLV encrypt to ekms $(client_cpu "$BENCH_WORK/reports/ekms-encrypt.json")."
    "load average (1, 5, 15 min) at the start: $load_at_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
)
if [ "$with_cosmian" = 1 ]; then
    notes+=("Cosmian KMS $cosmian_version (crate cosmian_kms_server, non-FIPS, SQLite; bench/cosmian.sh) runs with its defaults: its SQLite database is NOT encrypted and its audit log is off (optional, --audit-enable), so it keeps no audit trail; ekms keeps every group's database encrypted and writes an audit row per operation before answering. Its rows: workloads one after the other (create last), each over binary TTLV 1.4 and over HTTPS JSON (HTTP/1.1), ekms (in a group of its own) then Cosmian; load average at the start of these runs: $cosmian_load_start, at their end: $cosmian_load_end.")
fi
title="ekms vs PyKMIP, the HTTPS ceiling and the signing primitives (bench/compare.sh)"
command="EKMS_BENCH_SECONDS=$seconds EKMS_BENCH_CONNECTIONS=$connections EKMS_BENCH_PYKMIP_SECONDS=$py_seconds${EKMS_BENCH_OPS:+ EKMS_BENCH_OPS=\"$ops\"} bench/compare.sh"
if [ "$with_cosmian" = 1 ]; then
    title="ekms vs Cosmian KMS $cosmian_version, PyKMIP, the HTTPS ceiling and the signing primitives (bench/compare.sh --with-cosmian)"
    command="$command --with-cosmian"
fi
# The header and notes of the table, as arguments (no quoting of their text into code).
python3 -c 'import json, sys
json.dump({"title": sys.argv[2], "lines": sys.argv[3:7], "notes": sys.argv[7:]}, open(sys.argv[1], "w"))' \
    "$BENCH_WORK/meta.json" "$title" \
    "machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, Linux $(uname -r)" \
    "date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $(rustc --version 2> /dev/null || echo 'rustc ?')" \
    "ekms: $connections connections, ${seconds} s after ${warmup} s of warm-up; PyKMIP $PYKMIP_VERSION: $py_connections connections, ${py_seconds} s after ${py_warmup} s of warm-up; HTTPS JSON over HTTP/1.1 (ekms bench --http1) and over $BENCH_HTTP (ALPN, with ekms-server and nginx $NGINX_VERSION)" \
    "load generator: ekms bench on the same machine, over loopback; command: $command" \
    "${notes[@]}"
echo
python3 "$bench_root/bench/table.py" "$rows" "$BENCH_WORK/meta.json" ${markdown:+"$markdown"} \
    || bench_die "a run had errors (see the table)"
[ -z "$markdown" ] || bench_say "Markdown written to $markdown"
