#!/usr/bin/env bash
# Fails when a file of the repository refers to the steering folder beside the clone (the
# design's shared folder, "../" + "shared"): users clone this repository alone, so every file a
# test, a script or a doc needs must live inside it. This script names the pattern in two pieces
# so that it does not match itself.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern="\.\./""shared"
if hits=$(git grep -n -E "$pattern" -- . ':!ci/self_contained.sh'); then
    echo "files of the repository refer to the folder outside it:" >&2
    echo "$hits" >&2
    echo "copy what they need into the repository (test data under testdata/) and point them there" >&2
    exit 1
fi
echo "self-contained: no file refers outside the repository"
