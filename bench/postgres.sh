#!/usr/bin/env bash
# Encrypt and Create rates of one ekms-server on the embedded SQLCipher store, then on
# PostgreSQL (one node), in one run on this machine: AES-256-GCM 1 KiB Encrypt and AES-256
# Create over HTTPS JSON, EKMS_PG_BENCH_CONNECTIONS connections (16), EKMS_PG_BENCH_SECONDS
# each (10). PostgreSQL is a throwaway cluster of Debian's `postgresql` (ci/lib.sh's
# ekms_pg_start: run as the system user ekms-pg, fsync on as in production), on the same cores
# as the server and the load generator. Never run by .ci/run; results go to BENCHMARKS.md.
set -euo pipefail
BENCH_NAME=postgres
source "$(dirname "$0")/lib.sh"

seconds=${EKMS_PG_BENCH_SECONDS:-10}
connections=${EKMS_PG_BENCH_CONNECTIONS:-16}
bench_init
bench_binaries
bench_pki "$BENCH_WORK/pki"

# --- the cluster (ci/lib.sh; fsync on, as in production) ------------------------------------
ekms_pg_start || bench_die "no PostgreSQL cluster: install Debian's postgresql"
trap 'ekms_pg_stop; bench_cleanup' EXIT
url=$EKMS_PG_URL

# --- the runs ------------------------------------------------------------------------------
run=(--payload-size 1024 --connections "$connections" --duration "$seconds" --warmup 2)
reports=()
for store in sqlcipher postgres; do
    if [ "$store" = postgres ]; then
        bench_start_ekms --database "$url" --database-password-file "$EKMS_PG_PASSWORD_FILE"
    else
        bench_start_ekms
    fi
    for op in encrypt create; do
        reports+=("$store $op $(bench_run "$store-$op" -- --op "$op" "${run[@]}")")
    done
    bench_stop "$EKMS_SERVER_PID"
    rm -rf "$BENCH_WORK/ekms-data" "$BENCH_WORK/ekms.toml"
done

python3 - "$connections" "${reports[@]}" << 'PY'
import json, sys
connections, rows = sys.argv[1], sys.argv[2:]
rates = {}
print(f"HTTPS JSON, {connections} connections")
for row in rows:
    store, op, path = row.split(" ", 2)
    r = json.load(open(path))
    rates[(store, op)] = r["ops_per_second"]
    l = r["latency_us"]
    print(f"{store:<10} {op:<8} {r['ops_per_second']:>9,.0f} ops/s  p50 {l['p50'] / 1000:.2f} ms  "
          f"p99 {l['p99'] / 1000:.2f} ms  errors {r['errors']}")
for op in ("encrypt", "create"):
    print(f"postgres / sqlcipher, {op}: {rates[('postgres', op)] / rates[('sqlcipher', op)]:.2f}")
PY
