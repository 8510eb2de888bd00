#!/usr/bin/env bash
# A large-payload round trip through the CLI and the server's stream routes, in pipes (no
# disk): `head -c SIZE /dev/zero | ekms sym encrypt - -o - | ekms sym decrypt - -o - | cmp`.
# Prints the elapsed time, the throughput, and the server's resident memory before and at
# its peak (VmHWM), so the constant-memory claim is measured, not assumed.
#
# Usage: bench/stream_roundtrip.sh [SIZE_BYTES]   (default 10 GiB = 10737418240)
# Needs release binaries: cargo build --release --locked -p ekms-server -p ekms-cli
set -euo pipefail
size=${1:-10737418240}
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

rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server_pid/status"; }
# utime + stime of the server, in clock ticks (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
rss_before=$(rss VmRSS)
cpu_before=$(cpu_ticks)
start=$(date +%s.%N)
head -c "$size" /dev/zero \
    | /usr/bin/time -f "%U %S" -o "$work/enc.time" "$bin/ekms" sym encrypt --key "$key" - -o - 2> /dev/null \
    | /usr/bin/time -f "%U %S" -o "$work/dec.time" "$bin/ekms" sym decrypt - -o - 2> /dev/null \
    | cmp -n "$size" - /dev/zero
end=$(date +%s.%N)
rss_peak=$(rss VmHWM)
cpu_after=$(cpu_ticks)
hz=$(getconf CLK_TCK)
awk -v a="$cpu_before" -v b="$cpu_after" -v hz="$hz" 'BEGIN { printf "server CPU: %.1f s\n", (b - a) / hz }'
awk '{ printf "ekms sym encrypt CPU: %.1f s\n", $1 + $2 }' "$work/enc.time"
awk '{ printf "ekms sym decrypt CPU: %.1f s\n", $1 + $2 }' "$work/dec.time"
awk -v s="$size" -v a="$start" -v b="$end" -v r0="$rss_before" -v r1="$rss_peak" 'BEGIN {
    t = b - a
    printf "payload: %.0f bytes\nelapsed: %.1f s\nthroughput (each way, concurrently): %.0f MB/s\n", s, t, s / t / 1e6
    printf "server RSS before: %.1f MiB, peak: %.1f MiB, growth: %.1f MiB\n", r0 / 1024, r1 / 1024, (r1 - r0) / 1024
}'
