#!/usr/bin/env bash
# The copy-paste detector of CI: jscpd (pinned in ci/jscpd/package-lock.json, installed with
# `npm ci` into a directory outside the clone and reused while the lock file is unchanged) over
# the Rust, Python and shell sources. It fails on any pair of places sharing 6 or more lines, so
# that logic is written once and shared rather than copied.
#
# Not scanned: tests (`tests/` folders, `tests.rs` files, the test-only crate ekms-testkit),
# whose setups repeat on purpose so that each test reads on its own, and the generated tables
# (crates/ekms-kmip/src/tags/table.rs, enums/generated.rs), generated from one data file.
# A pair left on purpose is marked in the code with `jscpd:ignore-start` / `jscpd:ignore-end`
# comments and listed, with why, in docs/design.md ("Pairs left on purpose").
#
# Settings (environment):
#   EKMS_JSCPD_DIR   where jscpd is installed between runs (default /var/tmp/ekms-jscpd)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${EKMS_JSCPD_DIR:-/var/tmp/ekms-jscpd}
stamp=$dir/.ekms-package-lock.sha256
want=$(sha256sum ci/jscpd/package-lock.json | cut -d' ' -f1)
if [ ! -x "$dir/node_modules/.bin/jscpd" ] || [ "$(cat "$stamp" 2> /dev/null)" != "$want" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    cp ci/jscpd/package.json ci/jscpd/package-lock.json "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --silent)
    echo "$want" > "$stamp"
    echo "installed jscpd into $dir"
fi

ignore=(
    "**/tests/**"
    "**/tests.rs"
    "crates/ekms-testkit/**"
    "crates/ekms-kmip/src/tags/table.rs"
    "crates/ekms-kmip/src/enums/generated.rs"
    "**/target/**"
    "**/node_modules/**"
)

report=$(mktemp -d)
trap 'rm -rf "$report"' EXIT
status=0
"$dir/node_modules/.bin/jscpd" \
    --min-lines 6 \
    --format rust,python,bash \
    --max-lines 100000 --max-size 2mb \
    --gitignore \
    --ignore "$(IFS=,; echo "${ignore[*]}")" \
    --reporters console \
    --output "$report" \
    --exitCode 1 \
    . || status=$?
if [ "$status" -ne 0 ]; then
    echo "copied logic: the pairs above share 6 or more lines; share the logic (a function, a" >&2
    echo "module), or mark a pair left on purpose with jscpd:ignore-start/-end and list it in" >&2
    echo "docs/design.md (\"Pairs left on purpose\")" >&2
    exit 1
fi
echo "copies: no pair of 6 or more lines"
