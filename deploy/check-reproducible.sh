#!/usr/bin/env bash
# Checks that deploy/reproducible-build.sh is reproducible: clones the current commit twice,
# into two different directories (different lengths too, so no path can hide in padding),
# builds each from clean one after the other, and fails unless both binaries have the same
# SHA-256. Uncommitted changes are not part of the check: it builds what is committed.
#
# Usage: deploy/check-reproducible.sh [work directory, default: a new one under /var/tmp]
# Prints both hashes and the time each build took; keeps the work directory on a difference
# so the two binaries can be compared (cmp -l, objdump -d, strings), and a directory given as
# argument always.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd -P)"
work="${1:-}"
made=0
if [ -z "$work" ]; then
    work="$(mktemp -d "${TMPDIR:-/var/tmp}/ekms-repro.XXXXXX")"
    made=1
fi
mkdir -p "$work"
commit="$(git -C "$src" rev-parse HEAD)"
echo "checking commit $commit in $work"

build() { # <clone directory>
    local dir="$1" start end line
    git clone --quiet --no-local "$src" "$dir"
    git -C "$dir" checkout --quiet "$commit"
    start=$(date +%s)
    line="$("$dir/deploy/reproducible-build.sh" | tail -n 1)"
    end=$(date +%s)
    echo "$line  ($((end - start)) s)" >&2
    echo "$line" | cut -d' ' -f2
}

first="$(build "$work/a/ekms")"
second="$(build "$work/second-clone/build/ekms")"
if [ "$first" != "$second" ]; then
    echo "NOT reproducible: $first != $second" >&2
    echo "compare $work/a/ekms/target/reproducible/release/ekms-server with" >&2
    echo "        $work/second-clone/build/ekms/target/reproducible/release/ekms-server" >&2
    exit 1
fi
echo "reproducible: both builds give sha256 $first"
# Two release trees take a few GiB: a directory this script made goes once the check passed.
[ "$made" = 0 ] || rm -rf "$work"
