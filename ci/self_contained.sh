#!/usr/bin/env bash
# Fails when a file of the repository refers to something outside it: the steering folder
# beside the clone ("../" + "shared") or the design file kept there, an absolute path of the
# machine it was written on, or an issue or pull-request number. Users clone this repository
# alone and never see those, so every file a test, a script or a doc needs lives inside it, and
# a comment states the fact itself rather than the ticket that asked for it. This script spells
# the patterns in pieces so that it does not match itself.
set -euo pipefail
cd "$(dirname "$0")/.."
outside="\.\./""shared|DESIGN""\.md|/""work/"
ticket="\b([Ii]ssue|[Pp]ull request|PR)s? #?[0-9]+"
if hits=$(git grep -n -E "$outside|$ticket" -- . ':!ci/self_contained.sh' ':!Cargo.lock'); then
    echo "files of the repository refer to something outside it:" >&2
    echo "$hits" >&2
    echo "copy what they need into the repository (test data under testdata/) and point them there;" >&2
    echo "say the fact a ticket number stood for (docs/design.md is the design)" >&2
    exit 1
fi
echo "self-contained: no file refers outside the repository or to an issue number"
