#!/usr/bin/env bash
# A large-payload round trip through the server's stream routes, in pipes (no disk), twice:
#   cli:  head -c SIZE /dev/zero | ekms sym encrypt - -o - | ekms sym decrypt - -o - | cmp
#   curl: head -c SIZE /dev/zero | curl -T - .../v1/encrypt/K | curl -T - .../v1/decrypt/K | cmp
# For each it prints the elapsed time, the throughput each way (both directions run at once),
# the CPU of every process, and the server's resident memory before the run and at its peak
# (VmHWM, reset before each run), so the constant-memory claim is measured, not assumed.
#
# Usage: bench/stream_roundtrip.sh [SIZE_BYTES] [cli|curl|both]   (default 10 GiB, both)
# Needs release binaries: cargo build --release --locked -p ekms-server -p ekms-cli; curl.
set -euo pipefail
size=${1:-10737418240}
which=${2:-both}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CARGO_TARGET_DIR:-$root/target}/release
work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

: > "$work/server.out"
"$bin/ekms-server" --listen 127.0.0.1:0 --data-dir "$work/data" \
    --emulated-platform-dir "$work/platform" > "$work/server.out" 2> "$work/server.log" &
server_pid=$!
for _ in $(seq 1 300); do
    grep -q '^    debug: ' "$work/server.out" && break
    sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/server.out")
pin=$(sed -n 's/^certificate sha256: //p' "$work/server.out")
export EKMS_CONFIG="$work/ekms.toml"
"$bin/ekms" --server-url "$url" --pin-sha256 "$pin" register > /dev/null 2>&1
key=$("$bin/ekms" sym create --name bench)

# The group secret goes to curl in a header file (mode 0600), not on its command line.
(umask 077; sed -n 's/^secret = "\(.*\)"$/KmsDatabaseSecret: \1/p' "$EKMS_CONFIG" > "$work/secret.h")

rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server_pid/status"; }
# utime + stime of the server, in clock ticks (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
hz=$(getconf CLK_TCK)

# One stream route through curl: the body from standard input (chunked), the answer to
# standard output. -k: the bench talks to the server it just started, on loopback.
curl_route() {
    curl -sS --fail -k -X POST -T - -H 'Expect:' -H @"$work/secret.h" \
        -H 'Content-Type: application/octet-stream' "$url/v1/$1/$key"
}

# run LABEL ENCRYPT_COMMAND DECRYPT_COMMAND: the round trip, timed, with its figures.
run() {
    local label=$1 enc=$2 dec=$3
    # VmHWM is reset by writing 5 to clear_refs, so each run's peak is its own.
    echo 5 > "/proc/$server_pid/clear_refs"
    local rss_before cpu_before start end rss_peak cpu_after load
    rss_before=$(rss VmRSS)
    load=$(cut -d' ' -f1 /proc/loadavg)
    cpu_before=$(cpu_ticks)
    start=$(date +%s.%N)
    head -c "$size" /dev/zero \
        | /usr/bin/time -f "%U %S" -o "$work/enc.time" bash -c "$enc" \
        | /usr/bin/time -f "%U %S" -o "$work/dec.time" bash -c "$dec" \
        | cmp -n "$size" - /dev/zero
    end=$(date +%s.%N)
    rss_peak=$(rss VmHWM)
    cpu_after=$(cpu_ticks)
    echo "== $label"
    # The machine may be shared: the load when the run started says how far to trust MB/s.
    echo "load average at start: $load"
    awk -v a="$cpu_before" -v b="$cpu_after" -v hz="$hz" 'BEGIN { printf "server CPU: %.1f s\n", (b - a) / hz }'
    awk -v l="$label" '{ printf "%s encrypt CPU: %.1f s\n", l, $1 + $2 }' "$work/enc.time"
    awk -v l="$label" '{ printf "%s decrypt CPU: %.1f s\n", l, $1 + $2 }' "$work/dec.time"
    # The comparable figure on a shared machine: CPU-seconds of the server and both ends per GiB.
    cat "$work/enc.time" "$work/dec.time" | awk -v a="$cpu_before" -v b="$cpu_after" -v hz="$hz" -v s="$size" '
        { ends += $1 + $2 }
        END { printf "CPU per GiB (server + both ends): %.2f s\n", ((b - a) / hz + ends) / (s / 1073741824) }'
    awk -v s="$size" -v a="$start" -v b="$end" -v r0="$rss_before" -v r1="$rss_peak" 'BEGIN {
        t = b - a
        printf "payload: %.0f bytes\nelapsed: %.1f s\nthroughput (each way, concurrently): %.0f MB/s\n", s, t, s / t / 1e6
        printf "server RSS before: %.1f MiB, peak: %.1f MiB, growth: %.1f MiB\n", r0 / 1024, r1 / 1024, (r1 - r0) / 1024
    }'
}

export bin key url work
export -f curl_route
if [ "$which" != curl ]; then
    run cli '"$bin/ekms" sym encrypt --key "$key" - -o - 2> /dev/null' \
        '"$bin/ekms" sym decrypt - -o - 2> /dev/null'
fi
if [ "$which" != cli ]; then
    run curl 'curl_route encrypt' 'curl_route decrypt'
fi
