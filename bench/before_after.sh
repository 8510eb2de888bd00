#!/usr/bin/env bash
# Two builds of ekms side by side: runs bench/compare.sh alternately against the binaries of a
# "before" and an "after" build (before, after, before, after, ...), then prints, for every ekms
# workload of compare.sh, the median ops/s and p99 of each build and the change. A refactoring
# lands only when no workload is more than 5% slower by these medians.
#
# Usage: bench/before_after.sh BEFORE_DIR AFTER_DIR [RUNS]
#   BEFORE_DIR, AFTER_DIR  folders holding the release binaries `ekms-server` and `ekms` of each
#                          build (e.g. a target dir's release/ folder, copied aside before the
#                          change is built)
#   RUNS                   runs of each build [3]
# Settings: those of bench/compare.sh (EKMS_BENCH_SECONDS, EKMS_BENCH_OPS, ...); the PyKMIP and
# nginx columns of each run are measured too but only ekms's own rows are compared here.
# With EKMS_BENCH_AB_MARKDOWN=FILE, the table is also written as Markdown to FILE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

[ $# -ge 2 ] || {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}
before=$(cd "$1" && pwd)
after=$(cd "$2" && pwd)
runs=${3:-3}
for dir in "$before" "$after"; do
    for bin in ekms-server ekms; do
        [ -x "$dir/$bin" ] || {
            echo "before_after: no executable $dir/$bin" >&2
            exit 1
        }
    done
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ekms-before-after.XXXXXX")
trap 'rm -rf "$work"' EXIT

for i in $(seq 1 "$runs"); do
    for side in before after; do
        if [ "$side" = before ]; then dir=$before; else dir=$after; fi
        out=$work/$side-$i
        mkdir -p "$out/tmp"
        echo "before_after: run $i of $runs, $side ($dir)" >&2
        # compare.sh keeps its work directory (with every report) in our folder for this run.
        TMPDIR=$out/tmp EKMS_BENCH_KEEP=1 EKMS_SERVER_BIN=$dir/ekms-server EKMS_BIN=$dir/ekms \
            bash "$here/compare.sh" --markdown "$out/table.md" > "$out/stdout" 2> "$out/stderr" || {
            tail -n 30 "$out/stderr" >&2
            echo "before_after: bench/compare.sh failed ($side, run $i)" >&2
            exit 1
        }
    done
done

python3 - "$work" "$runs" "${EKMS_BENCH_AB_MARKDOWN:-}" << 'PY'
import glob, json, os, statistics, sys

work, runs, markdown = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def reports(side, i):
    found = glob.glob(os.path.join(work, f"{side}-{i}", "tmp", "*", "reports", "ekms-*.json"))
    return {os.path.basename(p)[len("ekms-"):-len(".json")]: json.load(open(p)) for p in found}

sides = {s: [reports(s, i) for i in range(1, runs + 1)] for s in ("before", "after")}
names = sorted(set.intersection(*(set(r) for s in sides.values() for r in s)))
rows = []
worst = 0.0
for name in names:
    med = {}
    for s, rs in sides.items():
        med[s] = (statistics.median(r[name]["ops_per_second"] for r in rs),
                  statistics.median(r[name]["latency_us"]["p99"] for r in rs))
    change = med["after"][0] / med["before"][0] - 1.0
    worst = min(worst, change)
    runs_of = lambda s: " ".join(f"{r[name]['ops_per_second']:.0f}" for r in sides[s])
    # The load generator shares the machine: its CPU per operation tells a slower client from
    # a slower server.
    def client_cpu(s):
        v = [r[name].get("client_cpu_us_per_op") for r in sides[s]]
        v = [x for x in v if x is not None]
        return f"{statistics.median(v):.1f}" if v else "-"
    rows.append([name, f"{med['before'][0]:.0f}", f"{med['after'][0]:.0f}", f"{change * 100:+.1f}%",
                 f"{med['before'][1] / 1000:.2f}", f"{med['after'][1] / 1000:.2f}",
                 client_cpu("before"), client_cpu("after"), runs_of("before"), runs_of("after")])
header = ["workload (ekms bench report)", "before ops/s", "after ops/s", "change",
          "before p99 ms", "after p99 ms", "before client µs/op", "after client µs/op",
          "before runs", "after runs"]
lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
lines += ["| " + " | ".join(r) + " |" for r in rows]
text = "\n".join(lines) + f"\n\nmedian of {runs} runs of each build, interleaved; worst change {worst * 100:+.1f}%\n"
print(text)
if markdown:
    open(markdown, "w").write(text)
PY
