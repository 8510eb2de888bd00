#!/usr/bin/env bash
# How ekms scales with the work: four curves measured by `ekms bench` (binary TTLV 1.4 over
# mutual TLS, the load generator on the same machine), each point a short run, each curve a CSV
# and an SVG plot. Never run by .ci/run (minutes of load); for BENCHMARKS.md.
#
# The curves (each on a fresh ekms-server, so that one curve's state does not weigh on the next):
#   payload      AES-256-GCM Encrypt rate and p99 against the payload size, 64 B to 1 MiB,
#                16 connections;
#   connections  1 KiB Encrypt rate and p99 against the connections, 1 to 256;
#   groups       1 KiB Encrypt rate and p99 against the groups in use at once, 1 to 10,000
#                (`ekms bench --groups N`: every connection takes the groups in turn), 16
#                connections; the server started with its registration limits lifted
#                (--register-rate-per-minute 0 --register-rate-per-hour 0), room for the groups
#                (--max-groups 20000) and its cache of open group databases bounded
#                (--max-open-groups 1024); the groups are registered once (their secrets in
#                the work dir's groups.txt) and reused by the later points;
#   objects      AES-256 Create rate and p99 against the objects already in the group, 1,000
#                to 1,000,000, the group filled before each point by Creates (`ekms bench --op
#                create --count`, 16 connections; the time each fill took recorded); a point's
#                own Creates add to the group too (counted: no warm-up there).
# Beside rate and latency, each point records what explains the curve: the CPU the server and
# the load generator used during the measurement (in cores: CPU seconds per second), the
# server's resident memory (VmRSS) and open descriptors (/proc/PID/fd, the connections included)
# at their highest during the measurement,
# the 1-minute load average, and for groups and objects the set-up or fill time and the size of
# the server's data directory.
#
# Output: one CSV per curve in $EKMS_CURVES_OUT (default ${TMPDIR:-/tmp}/ekms-curves), the
# `ekms bench` JSON reports beside them (reports/), then bench/plot.py draws the SVGs into
# bench/plots/ (or $EKMS_CURVES_PLOTS) and writes the Markdown tables to $EKMS_CURVES_OUT/curves.md.
#
# Usage: bench/curves.sh [payload] [connections] [groups] [objects]   (default: all four)
# Settings (environment; defaults in brackets):
#   EKMS_CURVES_SECONDS [3]  EKMS_CURVES_WARMUP [1]   each point's measurement and warm-up
#   EKMS_CURVES_CONNECTIONS [16]                      connections of the payload, groups and
#                                                     objects curves
#   EKMS_CURVES_MAX_GROUPS [10000]  EKMS_CURVES_MAX_OBJECTS [1000000]   the curves' last points
#   EKMS_CURVES_OUT, EKMS_CURVES_PLOTS                see Output
#   EKMS_CURVES_NICE [unset]   a nice value (e.g. -10, needs root) for the server's threads and
#                              the load generator: on a machine busy with other work (builds),
#                              request-answer ping-pong otherwise waits behind every runnable
#                              task at each hop and the curves measure the scheduler's queue
#   EKMS_SERVER_BIN, EKMS_BIN, CARGO_TARGET_DIR, EKMS_BENCH_NO_BUILD=1, EKMS_BENCH_KEEP=1
#                                                     (see bench/lib.sh)
set -euo pipefail
BENCH_NAME=curves
source "$(dirname "$0")/lib.sh"

curves=()
for arg in "$@"; do
    case $arg in
        payload | connections | groups | objects) curves+=("$arg") ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) bench_die "unknown curve $arg (usage: bench/curves.sh [payload] [connections] [groups] [objects])" ;;
    esac
done
[ ${#curves[@]} -gt 0 ] || curves=(payload connections groups objects)

seconds=${EKMS_CURVES_SECONDS:-3}
warmup=${EKMS_CURVES_WARMUP:-1}
connections=${EKMS_CURVES_CONNECTIONS:-16}
max_groups=${EKMS_CURVES_MAX_GROUPS:-10000}
max_objects=${EKMS_CURVES_MAX_OBJECTS:-1000000}
out=${EKMS_CURVES_OUT:-${TMPDIR:-/tmp}/ekms-curves}
plots=${EKMS_CURVES_PLOTS:-$bench_root/bench/plots}
mkdir -p "$out/reports"

nice=()
if [ -n "${EKMS_CURVES_NICE:-}" ]; then
    nice=(nice -n "$EKMS_CURVES_NICE")
fi

bench_init
bench_binaries
bench_pki "$BENCH_WORK/pki"

# --- what each point records ----------------------------------------------------------------------

# CPU seconds (user and system) process $1 has used.
ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$(bench_cpu_ticks "$1")" -v hz="$ticks" 'BEGIN { printf "%.2f\n", t / hz }'; }
rss_mib() { awk '/^VmRSS:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2> /dev/null | wc -l; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# A database closed meanwhile takes its -wal and -shm away: du may miss them, not fail the run.
dir_mib() { du -sm "$1" 2> /dev/null | cut -f1 || true; }

# `measure CSV X NAME EXTRA_COLUMNS BENCH_ARG...`: one point. `ekms bench` runs in the
# background while the server's CPU counter, memory and descriptors are sampled every 0.2 s;
# the measured window is the report's elapsed seconds ending when the run ended (its set-up,
# registrations and warm-up before it are left out). Appends a row to CSV: x, the report's
# figures, the server's CPU (cores) over the window, the load generator's, the server's largest
# RSS and descriptor count in the window, the 1-minute load average at its end, the set-up
# seconds, then EXTRA_COLUMNS (comma-separated, may be empty).
measure() {
    local csv=$1 x=$2 name=$3 extra=$4
    shift 4
    local report=$out/reports/$name.json samples=$out/reports/$name.samples
    "${nice[@]}" "$EKMS_BIN" --json "${kmip_globals[@]}" bench --kmip "$EKMS_KMIP" --tls-server-name localhost \
        --kmip-version 1.4 "$@" > "$report" 2> "$out/reports/$name.err" &
    local bench_pid=$! status=0
    : > "$samples"
    while kill -0 "$bench_pid" 2> /dev/null; do
        echo "$(date +%s.%N) $(cpu_seconds "$EKMS_SERVER_PID") $(rss_mib "$EKMS_SERVER_PID")" \
            "$(fd_count "$EKMS_SERVER_PID")" >> "$samples"
        sleep 0.2
    done
    wait "$bench_pid" || status=$?
    local ended
    ended=$(date +%s.%N)
    if [ "$status" != 0 ]; then
        cat "$out/reports/$name.err" >&2
        bench_die "ekms bench $* failed"
    fi
    python3 - "$report" "$samples" "$csv" "$x" "$ended" "$(load1)" "$extra" << 'PY'
import json, sys
report_path, samples_path, csv, x, ended, load, extra = sys.argv[1:]
r = json.load(open(report_path))
lat = r["latency_us"]
samples = [tuple(map(float, line.split())) for line in open(samples_path) if line.strip()]
start = float(ended) - r["elapsed_seconds"]
window = [s for s in samples if s[0] >= start] or samples[-1:]
# The counter's rise between the first and last samples of the window: cores in use.
span = window[-1][0] - window[0][0]
server_cores = (window[-1][1] - window[0][1]) / span if span > 0 else 0.0
client_cores = (r["client_cpu_seconds"] or 0.0) / r["elapsed_seconds"] if r["elapsed_seconds"] else 0.0
row = [x, f'{r["ops_per_second"]:.0f}', f'{lat["p50"] / 1000:.3f}', f'{lat["p99"] / 1000:.3f}',
       str(r["errors"]), f"{server_cores:.2f}", f"{client_cores:.2f}",
       f"{max(s[2] for s in window):.1f}", str(int(max(s[3] for s in window))), load,
       f'{r.get("setup_seconds", 0.0):.1f}']
if extra:
    row += extra.split(",")
with open(csv, "a") as f:
    f.write(",".join(row) + "\n")
PY
    tail -n 1 "$csv" | sed "s/^/$BENCH_NAME: $(basename "$csv" .csv) /" >&2
}

header='x,ops_per_second,p50_ms,p99_ms,errors,server_cpu_cores,client_cpu_cores,server_rss_mib,server_fds,load1,setup_seconds'

# A fresh server for curve $1 (further arguments passed on), and the options `ekms bench` needs
# for its KMIP socket.
fresh_server() {
    local name=$1
    shift
    if [ -n "${EKMS_SERVER_PID:-}" ]; then
        bench_stop "$EKMS_SERVER_PID"
    fi
    bench_spawn_ekms "$name" "$@"
    if [ ${#nice[@]} -gt 0 ]; then
        # Every thread: a nice value is a thread's, and the runtime's threads exist already.
        local task
        for task in "/proc/$EKMS_SERVER_PID/task/"*; do
            renice -n "$EKMS_CURVES_NICE" -p "${task##*/}" > /dev/null \
                || bench_die "cannot renice the server to $EKMS_CURVES_NICE (root needed)"
        done
    fi
    # The CLI's config names the previous curve's server and group: a new one for this server.
    rm -f "$BENCH_WORK/ekms.toml"
    bench_register "$EKMS_URL" "$EKMS_SERVER_CERT"
    kmip_globals=(--server-url "$EKMS_URL" --ca "$EKMS_SERVER_CERT"
        --client-cert "$BENCH_WORK/pki/client.pem" --client-key "$BENCH_WORK/pki/client.key")
    bench_say "$name: ekms-server (pid $EKMS_SERVER_PID) at $EKMS_URL, KMIP socket on $EKMS_KMIP," \
        "RSS $(rss_mib "$EKMS_SERVER_PID") MiB, $(fd_count "$EKMS_SERVER_PID") descriptors"
}

{
    echo "machine: $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
        "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git -C "$bench_root" rev-parse --short HEAD 2> /dev/null || echo unknown)"
    echo "ekms-server: $EKMS_SERVER_BIN"
    echo "points: ${seconds} s measured after ${warmup} s of warm-up; binary TTLV 1.4 over mutual TLS"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "nice value of the server and the load generator: ${EKMS_CURVES_NICE:-0 (EKMS_CURVES_NICE unset)}"
} | tee -a "$out/machine.txt" >&2

for curve in "${curves[@]}"; do
    csv=$out/$curve.csv
    case $curve in
        payload)
            fresh_server payload
            echo "$header" > "$csv"
            for size in 64 256 1024 4096 16384 65536 262144 1048576; do
                measure "$csv" "$size" "payload-$size" "" --op encrypt --payload-size "$size" \
                    --connections "$connections" --duration "$seconds" --warmup "$warmup"
            done
            ;;
        connections)
            fresh_server connections
            echo "$header" > "$csv"
            for n in 1 2 4 8 16 32 64 128 256; do
                measure "$csv" "$n" "connections-$n" "" --op encrypt --payload-size 1024 \
                    --connections "$n" --duration "$seconds" --warmup "$warmup"
            done
            ;;
        groups)
            fresh_server groups --register-rate-per-minute 0 --register-rate-per-hour 0 \
                --max-groups 20000 --max-open-groups 1024
            echo "$header,registered,data_dir_mib" > "$csv"
            for n in 1 10 100 1000 2000 5000 10000; do
                [ "$n" -le "$max_groups" ] || continue
                measure "$csv" "$n" "groups-$n" "" --op encrypt --payload-size 1024 \
                    --connections "$connections" --duration "$seconds" --warmup "$warmup" \
                    --groups "$n" --groups-file "$BENCH_WORK/groups.txt"
                # The registrations and the data dir, known once the run is over.
                registered=$(bench_field "$out/reports/groups-$n.json" groups_registered)
                sed -i '$ s/$/,'"$registered,$(dir_mib "$BENCH_WORK/groups-data")"'/' "$csv"
            done
            ;;
        objects)
            fresh_server objects
            echo "$header,fill_seconds,data_dir_mib" > "$csv"
            objects=0
            for target in 1000 10000 100000 1000000; do
                [ "$target" -le "$max_objects" ] || continue
                fill=0
                if [ "$target" -gt "$objects" ]; then
                    bench_say "objects: filling the group with $((target - objects)) Creates"
                    started=$(date +%s.%N)
                    fill_report=$out/reports/fill-$target.json
                    "${nice[@]}" "$EKMS_BIN" --json "${kmip_globals[@]}" bench --kmip "$EKMS_KMIP" \
                        --tls-server-name localhost --kmip-version 1.4 --op create \
                        --connections "$connections" --count "$((target - objects))" \
                        > "$fill_report" 2> "$out/reports/fill-$target.err" \
                        || bench_die "the fill to $target failed: $(cat "$out/reports/fill-$target.err")"
                    fill=$(echo "$(date +%s.%N) - $started" | bc -l)
                    [ "$(bench_field "$fill_report" errors)" = 0 ] || bench_die "the fill to $target had errors"
                    objects=$target
                fi
                # No warm-up: every Create of the run is counted, so the objects are known exactly.
                measure "$csv" "$objects" "objects-$target" "$(printf '%.1f' "$fill")" --op create \
                    --connections "$connections" --duration "$seconds" --warmup 0
                made=$(bench_field "$out/reports/objects-$target.json" ops)
                objects=$((objects + made))
                sed -i '$ s/$/,'"$(dir_mib "$BENCH_WORK/objects-data")"'/' "$csv"
            done
            ;;
    esac
    bench_say "$curve: $csv"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"

mkdir -p "$plots"
python3 "$bench_root/bench/plot.py" --out "$plots" --markdown "$out/curves.md" "$out"
cat "$out/curves.md"
bench_say "CSVs and reports in $out, plots in $plots"
