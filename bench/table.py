"""The table of bench/compare.sh: ekms against PyKMIP (and Cosmian KMS with --with-cosmian), the
HTTPS ceiling and the primitives.

Usage: table.py ROWS META [MARKDOWN_FILE]

ROWS is a tab-separated file written by compare.sh, one comparison per line:

    kind  workload  transport  ekms_report  reference_name  reference  note

kind is `pykmip` (reference: an `ekms bench --json` report of the PyKMIP server, or `-` when
PyKMIP cannot run the workload), `cosmian` (reference: the report of the same workload
against Cosmian KMS), `ceiling` (reference: the report of the same requests against
nginx's static answer) or `primitive` (reference: a criterion estimates.json, nanoseconds per
operation on one core). META is a JSON object of header lines (`title`, `lines`).

Prints the table as text; writes it as Markdown to MARKDOWN_FILE when given. Exits 1 when a
run had errors, after printing.
"""

import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def rate(r):
    return r["ops_per_second"]


def fmt_rate(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def fmt_ms(us):
    return f"{us / 1000:.2f} ms"


def criterion_ns(estimates):
    # The slope of the linear fit when criterion made one, else the mean: what criterion
    # itself reports as the time of an iteration.
    e = load(estimates)
    slope = e.get("slope") or {}
    if slope.get("point_estimate") is not None:
        return slope["point_estimate"]
    return e["mean"]["point_estimate"]


def main():
    rows_path, meta_path = sys.argv[1], sys.argv[2]
    markdown_path = sys.argv[3] if len(sys.argv) > 3 else None
    meta = load(meta_path)
    header = ["workload", "transport", "ekms ops/s", "ekms p99", "compared with",
              "its ops/s", "its p99", "ratio"]
    table = []
    errors = []
    with open(rows_path) as f:
        for line in f:
            if not line.strip():
                continue
            kind, workload, transport, ekms_path, ref_name, ref, note = \
                line.rstrip("\n").split("\t")
            ekms = load(ekms_path)
            if ekms["errors"]:
                errors.append(f"ekms {workload} ({transport}): {ekms['errors']} errors, "
                              f"first: {ekms['first_error']}")
            cells = [workload, transport, fmt_rate(rate(ekms)), fmt_ms(ekms["latency_us"]["p99"])]
            if kind in ("pykmip", "cosmian") and ref == "-":
                cells += [ref_name, "-", "-", note or "not supported"]
            elif kind in ("pykmip", "cosmian", "ceiling"):
                other = load(ref)
                if other["errors"]:
                    errors.append(f"{ref_name} {workload}: {other['errors']} errors, "
                                  f"first: {other['first_error']}")
                ratio = rate(ekms) / rate(other) if rate(other) else float("inf")
                ratio_text = f"{ratio:.2f} of it" if kind == "ceiling" else f"{ratio:,.1f}x"
                if note:
                    ratio_text += f" ({note})"
                cells += [ref_name, fmt_rate(rate(other)), fmt_ms(other["latency_us"]["p99"]),
                          ratio_text]
            elif kind == "primitive":
                ns = criterion_ns(ref)
                primitive_rate = 1e9 / ns
                ratio = rate(ekms) / primitive_rate
                cells += [ref_name, fmt_rate(primitive_rate), "-",
                          f"{ratio:.2f} of it" + (f" ({note})" if note else "")]
            else:
                sys.exit(f"table.py: unknown row kind {kind!r}")
            table.append(cells)

    widths = [max(len(r[i]) for r in [header] + table) for i in range(len(header))]
    numeric = {2, 3, 5, 6}

    def text_row(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [meta["title"], ""] + meta["lines"] + [""]
    out.append(text_row(header))
    out.append("  ".join("-" * w for w in widths))
    out += [text_row(r) for r in table]
    out += [""] + meta.get("notes", [])
    if errors:
        out += ["", "ERRORS:"] + errors
    print("\n".join(out))

    if markdown_path:
        md = [f"### {meta['title']}", ""] + [f"- {line}" for line in meta["lines"]] + [""]
        md.append("| " + " | ".join(header) + " |")
        md.append("|" + "|".join("---:" if i in numeric else "---"
                                 for i in range(len(header))) + "|")
        md += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in table]
        if meta.get("notes"):
            md += [""] + meta["notes"]
        if errors:
            md += ["", "**Errors:**", ""] + [f"- {e}" for e in errors]
        with open(markdown_path, "w") as f:
            f.write("\n".join(md) + "\n")

    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
