#!/usr/bin/env python3
"""Draws the curves of bench/curves.sh: reads the CSVs of its output directory, writes one SVG
per plot (plain SVG from the standard library: a line plot with a log-scale x axis, one series
on the left y axis and one on the right) and, with --markdown FILE, the tables of BENCHMARKS.md.

Usage: bench/plot.py [--out DIR] [--markdown FILE] CURVES_DIR
"""

import argparse
import csv
import math
import os
import sys
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 720, 400
LEFT, RIGHT, TOP, BOTTOM = 80, 80, 40, 60
COLOURS = ("#1f77b4", "#d62728")


def size_label(v):
    """A byte count as 64 B, 1 KiB, 1 MiB."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if v >= scale:
            return f"{v / scale:g} {unit}"
    return f"{v:g} B"


def count_label(v):
    """A count as 1, 10, 1k, 1M."""
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if v >= scale:
            return f"{v / scale:g}{unit}"
    return f"{v:g}"


def nice_max(v):
    """The smallest of 1, 2, 2.5, 5 times a power of ten at or above v."""
    if v <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(v))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= v:
            return step * power
    return 10 * power


def y_scale(values, log):
    """The function from a value to a fraction of the axis height, and the axis's ticks: from 0
    to a round maximum, or (log) between the powers of ten around the values."""
    if log:
        lo = math.floor(math.log10(min(v for v in values if v > 0)))
        hi = max(math.ceil(math.log10(max(values))), lo + 1)
        return (lambda v: (math.log10(max(v, 10**lo)) - lo) / (hi - lo),
                [10**e for e in range(lo, hi + 1)])
    top = nice_max(max(values))
    return (lambda v: v / top), [top * i / 5 for i in range(6)]


def plot(path, title, xs, x_label, x_format, series):
    """Writes an SVG line plot: xs on a log10 axis; series is [(name, values, log), (name,
    values, log)], the first on the left y axis, the second on the right, each from 0 to a
    round maximum or, with log, on a log10 axis."""
    lo, hi = math.log10(min(xs)), math.log10(max(xs))
    if hi == lo:
        hi = lo + 1
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x):
        return LEFT + (math.log10(x) - lo) / (hi - lo) * inner_w

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{inner_w}" height="{inner_h}" fill="none" stroke="#888"/>',
    ]
    # x ticks: every power of ten in range, and the measured points' values as labels.
    for x in xs:
        out.append(
            f'<line x1="{px(x):.1f}" y1="{TOP}" x2="{px(x):.1f}" y2="{TOP + inner_h}" '
            f'stroke="#eee"/>'
        )
        out.append(
            f'<text x="{px(x):.1f}" y="{TOP + inner_h + 16}" text-anchor="middle">'
            f"{escape(x_format(x))}</text>"
        )
    out.append(
        f'<text x="{LEFT + inner_w / 2}" y="{HEIGHT - 14}" text-anchor="middle">'
        f"{escape(x_label)} (log scale)</text>"
    )
    for side, ((name, values, log), colour) in enumerate(zip(series, COLOURS)):
        fraction, ticks = y_scale(values, log)

        def py(v, fraction=fraction):
            return TOP + inner_h - fraction(v) * inner_h

        axis_x = LEFT if side == 0 else LEFT + inner_w
        anchor, dx = ("end", -6) if side == 0 else ("start", 6)
        for v in ticks:
            out.append(
                f'<text x="{axis_x + dx}" y="{py(v) + 4:.1f}" text-anchor="{anchor}" '
                f'fill="{colour}">{v:g}</text>'
            )
            if side == 0:
                out.append(
                    f'<line x1="{LEFT}" y1="{py(v):.1f}" x2="{LEFT + inner_w}" '
                    f'y2="{py(v):.1f}" stroke="#eee"/>'
                )
        label_x = 18 if side == 0 else WIDTH - 18
        out.append(
            f'<text transform="translate({label_x},{TOP + inner_h / 2}) rotate(-90)" '
            f'text-anchor="middle" fill="{colour}">{escape(name)}{" (log scale)" if log else ""}</text>'
        )
        points = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(xs, values))
        dash = "" if side == 0 else ' stroke-dasharray="6 4"'
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        for x, v in zip(xs, values):
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(v):.1f}" r="3.5" fill="{colour}"/>')
        legend_y = TOP + 16 + 16 * side
        out.append(
            f'<line x1="{LEFT + 10}" y1="{legend_y - 4}" x2="{LEFT + 34}" y2="{legend_y - 4}" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
        )
        out.append(f'<text x="{LEFT + 40}" y="{legend_y}">{escape(name)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# Per curve: the CSV, its x axis, the columns drawn on a log y axis (the payload curve's rate
# and latency span three orders of magnitude), and the plots drawn from it (file, title, left
# and right series as (column, name)).
RATE_P99 = (("ops_per_second", "operations/s"), ("p99_ms", "p99 latency (ms)"))
CURVES = {
    "payload": (
        "payload size",
        size_label,
        ("ops_per_second", "p99_ms"),
        [("payload.svg", "AES-256-GCM Encrypt against payload size",
          *RATE_P99)],
    ),
    "connections": (
        "connections",
        count_label,
        (),
        [("connections.svg", "AES-256-GCM 1 KiB Encrypt against connections",
          *RATE_P99)],
    ),
    "groups": (
        "groups in use at once",
        count_label,
        (),
        [("groups.svg", "AES-256-GCM 1 KiB Encrypt against groups in use",
          *RATE_P99),
         ("groups-resources.svg", "Server memory and descriptors against groups in use",
          ("server_rss_mib", "server RSS (MiB)"), ("server_fds", "open descriptors"))],
    ),
    "objects": (
        "objects in the group",
        count_label,
        (),
        [("objects.svg", "AES-256 Create against objects in the group",
          *RATE_P99)],
    ),
}

# The table columns: (CSV column, heading).
COLUMNS = [
    ("ops_per_second", "ops/s"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("errors", "errors"),
    ("server_cpu_cores", "server CPU (cores)"),
    ("client_cpu_cores", "bench CPU (cores)"),
    ("server_rss_mib", "server RSS MiB"),
    ("server_fds", "server fds"),
    ("load1", "load (1 min)"),
]
EXTRA = {
    "groups": [("setup_seconds", "set-up s"), ("registered", "registered"),
               ("data_dir_mib", "data dir MiB")],
    "objects": [("fill_seconds", "fill s"), ("data_dir_mib", "data dir MiB")],
}


def thousands(text):
    """An integer column with thousands separators, others as written."""
    return f"{int(text):,}" if text.isdigit() and len(text) > 3 else text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("curves_dir")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "plots"))
    parser.add_argument("--markdown")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tables = []
    for curve, (x_label, x_format, log_columns, plots) in CURVES.items():
        path = os.path.join(args.curves_dir, f"{curve}.csv")
        if not os.path.exists(path):
            continue
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        if not rows:
            continue
        xs = [float(r["x"]) for r in rows]
        for file, title, left, right in plots:
            series = [
                (name, [float(r[col]) for r in rows], col in log_columns)
                for col, name in (left, right)
            ]
            plot(os.path.join(args.out, file), title, xs, x_label, x_format, series)
            print(f"plot.py: {os.path.join(args.out, file)}", file=sys.stderr)
        columns = COLUMNS + EXTRA.get(curve, [])
        lines = [
            f"| {x_label} | " + " | ".join(h for _, h in columns) + " |",
            "|---:|" + "---:|" * len(columns),
        ]
        for r, x in zip(rows, xs):
            cells = [thousands(r.get(c, "")) for c, _ in columns]
            lines.append(f"| {x_format(x)} | " + " | ".join(cells) + " |")
        tables.append(f"### {curve}\n\n" + "\n".join(lines) + "\n")
    if not tables:
        sys.exit(f"plot.py: no curve CSV in {args.curves_dir}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(tables))


if __name__ == "__main__":
    main()
