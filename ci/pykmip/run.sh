#!/usr/bin/env bash
# PyKMIP 0.11.0's own integration suite against the real ekms-server.
#
# What it does, each time from scratch except the cached venv:
#   1. a venv with PyKMIP 0.11.0 and the suite's imports, pinned in requirements.txt;
#   2. the suite itself, kmip/tests/integration, from PyKMIP's sdist (sha256 checked), run
#      unchanged against the library installed in the venv;
#   3. a throwaway CA and a client certificate (make_pki.py), the server started with
#      --kmip-client-ca on ephemeral ports with temporary data and platform dirs (and, with
#      EKMS_PYKMIP_DATABASE=postgres, a throwaway PostgreSQL cluster), a group registered over
#      HTTPS;
#   4. a pykmip.conf section for that server (the group secret as the credential's password),
#      `pytest kmip/tests/integration -m "not ignore" --config ekms -n 2 --dist loadfile`, and the
#      verdict: it fails when any test fails or errors, or when none ran. Each pytest-xdist
#      worker has a group of its own (section ekms-gwN): the suite's Locate-by-date tests count
#      every key of their group made in a time window, and its tearDown destroys every object
#      of the group, so two workers in one group would see each other's keys.
#
# Settings (environment):
#   EKMS_SERVER_BIN    the server binary to test (default: `cargo build -p ekms-server`, then
#                      $CARGO_TARGET_DIR/debug/ekms-server)
#   EKMS_PYKMIP_VENV   where the venv is kept between runs (default /var/tmp/ekms-pykmip-venv)
#   EKMS_PYKMIP_KEEP=1 keep the work dir (server log, pytest output) for inspection
#   EKMS_PYKMIP_DATABASE=postgres
#                      the server keeps its groups in PostgreSQL (`--database`), on a
#                      throwaway cluster (ci/lib.sh's ekms_pg_start, stopped at exit) instead
#                      of SQLCipher files (the default, `sqlcipher`)
#   EKMS_PYKMIP_WORKERS  pytest-xdist workers (default 2; 1: one process, no xdist). The suite
#                      spends 16 s in two tests' own time.sleep calls (BENCHMARKS.md), each in
#                      a file of its own: with the files dealt out whole (--dist loadfile) they
#                      run side by side
#   PYTEST_ADDOPTS     extra pytest options, e.g. `-k discover` (never used to skip tests in CI)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=ci/lib.sh
source "$root/ci/lib.sh"
venv=${EKMS_PYKMIP_VENV:-/var/tmp/ekms-pykmip-venv}
sdist_name=pykmip-0.11.0.tar.gz
sdist_sha256=eb42e2d9674e470935d98474b8502e675894cc8489362d8419fdd957319f2b3e

say() { echo "pykmip: $*"; }
die() { echo "pykmip: FAILED: $*" >&2; exit 1; }

ekms_work_dir pykmip "${EKMS_PYKMIP_KEEP:-0}"
work=$EKMS_WORK

# --- 1. the client: a venv, reused while its pinned requirements are unchanged -------------
made=$(ekms_venv "$venv" "$here/requirements.txt") || die "cannot install $here/requirements.txt into $venv"
[ -z "$made" ] || say "created the venv in $venv"
py="$venv/bin/python"

# --- 2. the suite, from the sdist ------------------------------------------------------------
sdist="$venv/$sdist_name"
if [ ! -f "$sdist" ] || [ "$(sha256sum "$sdist" | cut -d' ' -f1)" != "$sdist_sha256" ]; then
    say "downloading the PyKMIP 0.11.0 sdist"
    rm -f "$sdist"
    "$venv/bin/pip" download --disable-pip-version-check --no-input -q \
        --no-deps --no-binary :all: pykmip==0.11.0 -d "$venv"
fi
[ "$(sha256sum "$sdist" | cut -d' ' -f1)" = "$sdist_sha256" ] || die "$sdist_name has an unexpected sha256"
mkdir -p "$work/suite"
# Only the integration suite: without kmip/__init__.py beside it, `import kmip` resolves to
# the PyKMIP installed in the venv, as for any user of the library.
tar -xzf "$sdist" -C "$work/suite" --strip-components=1 pykmip-0.11.0/kmip/tests/integration

# --- 3. certificates, the server, a group ----------------------------------------------------
pki="$work/pki"
mkdir -p "$pki"
# The client certificate's common name is the user the server records for the suite's objects.
"$py" "$here/make_pki.py" "$pki" pykmip

store=(--kmip-listen 127.0.0.1:0 --kmip-client-ca "$pki/ca.pem")
case ${EKMS_PYKMIP_DATABASE:-sqlcipher} in
    sqlcipher) ;;
    postgres)
        ekms_pg_start -c fsync=off || die "the PostgreSQL cluster did not start"
        store+=(--database "$EKMS_PG_URL" --database-password-file "$EKMS_PG_PASSWORD_FILE")
        say "groups in PostgreSQL at $EKMS_PG_URL"
        ;;
    *) die "EKMS_PYKMIP_DATABASE is sqlcipher or postgres, not ${EKMS_PYKMIP_DATABASE}" ;;
esac
ekms_start_server "$root" "${store[@]}" || die "ekms-server did not start"
url=$EKMS_URL kmip=$EKMS_KMIP
port=${kmip##*:}
say "server at $url, KMIP on $kmip"

workers=${EKMS_PYKMIP_WORKERS:-2}
case $workers in
    '' | *[!0-9]* | 0) die "EKMS_PYKMIP_WORKERS is a number of workers, at least 1, not '$workers'" ;;
esac
# A group per worker, and one for a run without workers.
secrets=$("$py" - "$url" "$work/data/certificate.pem" "$((workers + 1))" <<'PY'
import json, ssl, sys, urllib.request
url, ca, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
for _ in range(n):
    req = urllib.request.Request(url + "/register", method="POST", data=b"")
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        if r.status != 201:
            sys.exit(f"POST /register answered {r.status}")
        print(json.load(r)["secret"])
PY
) || die "cannot register the groups"
mapfile -t secret_of <<< "$secrets"
[ "${#secret_of[@]}" -eq "$((workers + 1))" ] || die "registered ${#secret_of[@]} groups, not $((workers + 1))"

# --- 4. the client configuration and the suite -----------------------------------------------
home="$work/home"
mkdir -p "$home/.pykmip"
# section NAME SECRET: a client section for the server, the secret its group's credential.
section() {
    cat <<EOF
[$1]
host=127.0.0.1
port=$port
certfile=$pki/client.pem
keyfile=$pki/client.key
ca_certs=$work/data/certificate.pem
cert_reqs=CERT_REQUIRED
ssl_version=PROTOCOL_SSLv23
do_handshake_on_connect=True
suppress_ragged_eofs=True
username=pykmip
password=$2

EOF
}
{
    section ekms "${secret_of[0]}"
    for ((w = 0; w < workers; w++)); do
        section "ekms-gw$w" "${secret_of[$((w + 1))]}"
    done
} > "$home/.pykmip/pykmip.conf"
chmod 600 "$home/.pykmip/pykmip.conf"
# Under pytest-xdist, worker gwN reads section <--config>-gwN: a group of its own. Placed at the
# suite's root, beside (not inside) the unchanged suite.
cat > "$work/suite/conftest.py" <<'PY'
import os


def pytest_configure(config):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and getattr(config.option, "config", None):
        config.option.config = f"{config.option.config}-{worker}"
PY
parallel=()
[ "$workers" -eq 1 ] || parallel=(-n "$workers" --dist loadfile)

say "running the integration suite"
set +e
(cd "$work/suite" && HOME="$home" "$py" -m pytest kmip/tests/integration -m "not ignore" \
    --config ekms "${parallel[@]}" -p no:cacheprovider -rA --tb=short -q \
    --junitxml "$work/junit.xml" -o junit_logging=all) > "$work/pytest.out" 2>&1
status=$?
set -e
cat "$work/pytest.out"
if [ -f "$work/junit.xml" ]; then
    echo "--- per test"
    "$py" "$here/summarize.py" "$work/junit.xml" || true
fi

# The closing line, e.g. `3 failed, 34 passed, 4 deselected, 4 warnings in 14.40s` (with
# `=` around it unless -q).
summary=$(grep -E '(passed|failed|errors?|no tests ran).* in [0-9.]+s' "$work/pytest.out" | tail -n1)
count() { echo "$summary" | grep -oE "[0-9]+ $1" | grep -oE '^[0-9]+' || echo 0; }
passed=$(count passed)
failed=$(count failed)
errors=$(count 'errors?')
say "passed=$passed failed=$failed errors=$errors (pytest exit $status)"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$errors" -ne 0 ]; then
    echo "--- server log (last 200 lines)" >&2
    tail -n 200 "$work/server.log" >&2
    die "the PyKMIP integration suite did not pass"
fi
[ "$passed" -gt 0 ] || die "no PyKMIP test ran"
say "OK: $passed PyKMIP integration tests passed"
