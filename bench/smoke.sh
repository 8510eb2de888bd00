#!/usr/bin/env bash
# The bench smoke of CI: a regression guard of a few seconds, relative to the
# machine it runs on, never an absolute figure.
#
# It starts the release ekms-server (with a registered group) and nginx answering every POST
# with one of ekms's real Encrypt answers (bench/lib.sh), then measures with `ekms bench`, the
# same client, connections and requests for both: AES-256-GCM 1 KiB Encrypt over HTTPS JSON
# against ekms, and the HTTPS ceiling (`--static-answer` against nginx). It prints both and
# fails when ekms's throughput is below a tenth of the ceiling measured in this run, or when
# any operation failed.
#
# Usage: bench/smoke.sh
# Settings (environment; defaults in brackets): EKMS_SMOKE_SECONDS [3], EKMS_SMOKE_WARMUP [1],
# EKMS_SMOKE_CONNECTIONS [16], and those of bench/lib.sh (CARGO_TARGET_DIR,
# EKMS_BENCH_NO_BUILD=1, EKMS_BENCH_KEEP=1). nginx is installed from Debian's packages if
# missing (as root).
set -euo pipefail
BENCH_NAME=smoke
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

seconds=${EKMS_SMOKE_SECONDS:-3}
warmup=${EKMS_SMOKE_WARMUP:-1}
connections=${EKMS_SMOKE_CONNECTIONS:-16}
# ekms must reach at least 1/min_fraction of the ceiling.
min_fraction=10

bench_init
bench_binaries
bench_pki "$BENCH_WORK/pki"
bench_start_ekms
answer=$BENCH_WORK/encrypt-answer.json
bench_run capture -- --op encrypt --count 1 --save-answer "$answer" > /dev/null
bench_start_nginx "$answer" application/json
bench_same_alpn

run=(--op encrypt --payload-size 1024 --connections "$connections" --duration "$seconds"
    --warmup "$warmup")
ekms_report=$(bench_run ekms -- "${run[@]}")
nginx_globals=(--server-url "$NGINX_URL" --ca "$BENCH_WORK/pki/ca.pem")
nginx_report=$(bench_run ceiling "${nginx_globals[@]}" -- --static-answer "${run[@]}")

# The verdict, from the two reports.
python3 - "$ekms_report" "$nginx_report" "$min_fraction" "$BENCH_HTTP" << 'PY'
import json, sys

ekms, ceiling = (json.load(open(p)) for p in sys.argv[1:3])
min_fraction, http = int(sys.argv[3]), sys.argv[4]

def line(name, r):
    l = r["latency_us"]
    cpu = r.get("client_cpu_us_per_op")
    cpu = f", bench CPU {cpu:.1f} µs/op" if cpu is not None else ""
    return (f"{name:<26} {r['ops_per_second']:>9,.0f} ops/s  p50 {l['p50'] / 1000:.2f} ms  "
            f"p99 {l['p99'] / 1000:.2f} ms  ops {r['ops']}  errors {r['errors']}{cpu}")

print(f"AES-256-GCM 1 KiB Encrypt over HTTPS JSON ({http}), {ekms['connections']} connections, "
      f"{ekms['elapsed_seconds']:.1f} s after {ekms['warmup_seconds']:g} s of warm-up")
print(line("ekms-server", ekms))
print(line("ceiling (nginx, static)", ceiling))
failures = []
for name, r in (("ekms", ekms), ("ceiling", ceiling)):
    if r["errors"]:
        failures.append(f"{name}: {r['errors']} operations failed, first: {r['first_error']}")
    if not r["ops"]:
        failures.append(f"{name}: no operation was measured")
for field in ("request_bytes", "answer_bytes"):
    if ekms[field] != ceiling[field]:
        failures.append(f"{field} differ ({ekms[field]} to ekms, {ceiling[field]} to nginx): "
                        "not the same exchange")
if ceiling["ops_per_second"] > 0:
    fraction = ekms["ops_per_second"] / ceiling["ops_per_second"]
    print(f"ekms / ceiling: {fraction:.3f} (the guard: at least 1/{min_fraction})")
    if fraction < 1 / min_fraction:
        failures.append(f"ekms reaches {fraction:.3f} of the HTTPS ceiling, below 1/{min_fraction}")
for f in failures:
    print(f"FAILED: {f}")
sys.exit(1 if failures else 0)
PY
