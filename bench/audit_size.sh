#!/usr/bin/env bash
# Bytes of group database per audited operation.
#
# For each count N (and a baseline of 0), a fresh release ekms-server (bench/lib.sh) with one
# registered group serves N AES-256-GCM 1 KiB Encrypts from `ekms bench`, over HTTPS JSON (whose
# audit rows carry a request id) and over the binary KMIP socket (whose rows carry none); the
# server is then stopped with SIGTERM, which folds the WAL into the database file, and the size
# of the group's file is read. An Encrypt writes nothing but its audit row, so the growth over
# the baseline, divided by N, is what one audited operation costs on disk.
#
# Usage: bench/audit_size.sh [N...]   (default: 10000 100000)
# Settings (environment): EKMS_AUDIT_CONNECTIONS [16], and those of bench/lib.sh
# (CARGO_TARGET_DIR, EKMS_BENCH_NO_BUILD=1, EKMS_SERVER_BIN and EKMS_BIN, EKMS_BENCH_KEEP=1).
# Prints one line per transport and count: operations, file bytes, bytes per operation.
set -euo pipefail
BENCH_NAME=audit_size
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10000 100000)
connections=${EKMS_AUDIT_CONNECTIONS:-16}

bench_init
bench_binaries
bench_pki "$BENCH_WORK/pki"

# `db_bytes NAME`: the size of the one group database in $BENCH_WORK/NAME-data (its WAL, if
# any is left, counted too).
db_bytes() {
    local total=0 f
    for f in "$BENCH_WORK/$1-data"/groups/*.db "$BENCH_WORK/$1-data"/groups/*.db-wal; do
        [ -f "$f" ] || continue
        total=$((total + $(stat -c %s "$f")))
    done
    echo "$total"
}

# `measure TRANSPORT N`: a fresh server and group, N Encrypts over TRANSPORT (https or kmip),
# SIGTERM; sets MEASURED to the group file's size. (Not run in a subshell: the server it starts
# must be one bench/lib.sh stops on exit, should the run fail.)
measure() {
    local transport=$1 n=$2 name="$1-$2"
    bench_spawn_ekms "$name"
    # Each server's group is a new one: the CLI's config of the previous one goes.
    rm -f "$BENCH_WORK/ekms.toml"
    bench_register "$EKMS_URL" "$EKMS_SERVER_CERT"
    if [ "$n" -gt 0 ]; then
        local how=()
        if [ "$transport" = kmip ]; then
            how=(--ca "$EKMS_SERVER_CERT" --client-cert "$BENCH_WORK/pki/client.pem"
                --client-key "$BENCH_WORK/pki/client.key" --
                --kmip "$EKMS_KMIP" --tls-server-name localhost --kmip-version 1.4)
        else
            how=(--)
        fi
        bench_run "$name" "${how[@]}" --op encrypt --payload-size 1024 \
            --connections "$connections" --count "$n" > /dev/null
    fi
    bench_stop "$EKMS_SERVER_PID"
    MEASURED=$(db_bytes "$name")
}

for transport in https kmip; do
    measure "$transport" 0
    base=$MEASURED
    for n in "${counts[@]}"; do
        measure "$transport" "$n"
        size=$MEASURED
        python3 -c 'import sys; t, n, b, s = sys.argv[1:]; n, b, s = int(n), int(b), int(s)
print(f"{t:<6} {n:>9} encrypts  {s:>12} bytes  {(s - b) / n:6.1f} bytes/op")' \
            "$transport" "$n" "$base" "$size"
    done
done
