# shellcheck shell=bash
# Shell helpers shared by the scripts that start ekms-server, a Python venv or PostgreSQL for
# tests (.ci/run, ci/pykmip/run.sh, bench/lib.sh). Sourced, not run; nothing here exits the caller.

# ekms_venv VENV REQUIREMENTS: makes the venv VENV with the pinned REQUIREMENTS installed, or
# keeps it as it is while the requirements file is unchanged (a sha256 stamp in the venv).
# Prints "created" when it (re)made the venv; fails when python or pip does.
ekms_venv() {
    local venv=$1 req=$2
    local stamp=$venv/.ekms-requirements.sha256 want
    want=$(sha256sum "$req" | cut -d' ' -f1) || return 1
    if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2> /dev/null)" = "$want" ]; then
        return 0
    fi
    rm -rf "$venv"
    python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --disable-pip-version-check --no-input -q -r "$req" || return 1
    echo "$want" > "$stamp"
    echo created
}

# ekms_apt_install PACKAGE LOG: installs the Debian package PACKAGE (needs root, as on CI), its
# apt output in LOG; prints "installed". RUNLEVEL=1: a package's init script must not start a
# system service (a PostgreSQL cluster, an HAProxy) that no test asked for.
ekms_apt_install() {
    local package=$1 log=$2
    if [ "$(id -u)" != 0 ]; then
        echo "$package is not installed: apt-get install $package (needs root)" >&2
        return 1
    fi
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            && RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package"
    } > "$log" 2>&1 || {
        tail -n 30 "$log" >&2
        return 1
    }
    echo installed
}

# ekms_need_postgresql LOG: installs PostgreSQL from Debian's packages when no server of it is
# installed, its apt output in LOG; the store's tests start throwaway clusters of it
# (crates/ekms-testkit/src/postgres.rs) and, with CI set, fail without it.
ekms_need_postgresql() {
    compgen -G '/usr/lib/postgresql/*/bin/initdb' > /dev/null && return 0
    ekms_apt_install postgresql "$1"
}

# ekms_need_haproxy LOG: installs HAProxy from Debian's packages when it is not installed, its
# apt output in LOG; the tests of several nodes start a throwaway HAProxy in front of them
# (crates/ekms-testkit/src/haproxy.rs) and, with CI set, fail without it.
ekms_need_haproxy() {
    if command -v haproxy > /dev/null || [ -x /usr/sbin/haproxy ]; then
        return 0
    fi
    ekms_apt_install haproxy "$1"
}

# ekms_need_chromium LOG: installs Debian's chromium and chromium-driver (which depends on
# chromium) when either is missing, its apt output in LOG; the console's browser tests
# (crates/ekms-cli/tests/console_browser.rs) drive headless Chromium and, with CI set, fail
# without it.
ekms_need_chromium() {
    if command -v chromium > /dev/null && command -v chromedriver > /dev/null; then
        return 0
    fi
    ekms_apt_install chromium-driver "$1"
}

# axe-core, the accessibility checker the browser tests inject into each page of the console:
# a test-only asset (never served by /ui/), fetched from npm at this version and checked
# against the registry's sha512 of that version's tarball rather than copied into the repo.
EKMS_AXE_CORE_VERSION=4.10.3
EKMS_AXE_CORE_INTEGRITY='sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=='

# ekms_axe_core DIR: prints the path of axe.min.js of axe-core $EKMS_AXE_CORE_VERSION under DIR,
# fetching it with `npm pack` the first time (fails when the tarball is not the pinned one).
ekms_axe_core() {
    local dir=$1 version=$EKMS_AXE_CORE_VERSION
    local out="$dir/axe-core-$version"
    if [ ! -f "$out/axe.min.js" ]; then
        mkdir -p "$out"
        (cd "$dir" && npm pack --silent "axe-core@$version" > /dev/null) || return 1
        local tgz="$dir/axe-core-$version.tgz" got
        got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
        if [ "$got" != "$EKMS_AXE_CORE_INTEGRITY" ]; then
            echo "axe-core $version from npm is not the pinned tarball ($got)" >&2
            rm -f "$tgz"
            return 1
        fi
        tar -xzf "$tgz" -C "$out" --strip-components=1 package/axe.min.js package/LICENSE
    fi
    echo "$out/axe.min.js"
}

# ekms_pg_start [SERVER OPTION...]: a throwaway PostgreSQL cluster, as the tests'
# (crates/ekms-testkit/src/postgres.rs) but for scripts: the newest installed release, initdb
# into a new directory (EKMS_PG_DIR), a free port on 127.0.0.1, the Unix socket in that
# directory, password authentication (a random password, never in the URL), run as the system
# user ekms-pg (created if missing) when run as root, and an empty database `ekms`. Further
# arguments are options of the server (`-c fsync=off`). Sets EKMS_PG_URL and
# EKMS_PG_PASSWORD_FILE (the two `ekms-server --database` settings); ekms_pg_stop stops the
# cluster and removes its directory (ekms_work_cleanup calls it). Fails, with the server's log
# on stderr, when the cluster does not start.
ekms_pg_start() {
    local bin port as_pg=()
    bin=$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1)
    [ -x "$bin/initdb" ] || {
        echo "PostgreSQL is not installed: apt-get install postgresql" >&2
        return 1
    }
    EKMS_PG_BIN=$bin
    EKMS_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ekms-pg.XXXXXX") || return 1
    # Readable by the cluster's user; the password file inside stays private to it.
    chmod 755 "$EKMS_PG_DIR"
    EKMS_PG_PASSWORD_FILE=$EKMS_PG_DIR/password
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$EKMS_PG_PASSWORD_FILE")
    if [ "$(id -u)" = 0 ]; then
        id ekms-pg > /dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin ekms-pg || return 1
        chown ekms-pg "$EKMS_PG_DIR" "$EKMS_PG_PASSWORD_FILE"
        as_pg=(runuser -u ekms-pg --)
    fi
    EKMS_PG_AS=("${as_pg[@]}")
    "${as_pg[@]}" "$bin/initdb" -D "$EKMS_PG_DIR/data" -U ekms -A scram-sha-256 \
        --pwfile="$EKMS_PG_PASSWORD_FILE" -E UTF8 > "$EKMS_PG_DIR/initdb.log" 2>&1 || {
        cat "$EKMS_PG_DIR/initdb.log" >&2
        return 1
    }
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as_pg[@]}" "$bin/pg_ctl" -D "$EKMS_PG_DIR/data" -l "$EKMS_PG_DIR/server.log" -w -t 60 \
        -o "-p $port -k $EKMS_PG_DIR -c listen_addresses=127.0.0.1 $*" start > /dev/null || {
        cat "$EKMS_PG_DIR/server.log" >&2
        return 1
    }
    PGPASSWORD=$(cat "$EKMS_PG_PASSWORD_FILE") "$bin/createdb" -h 127.0.0.1 -p "$port" -U ekms ekms || return 1
    EKMS_PG_URL="postgresql://ekms@127.0.0.1:$port/ekms"
}

# ekms_pg_stop: stops the cluster ekms_pg_start started, if any, and removes its directory.
ekms_pg_stop() {
    [ -n "${EKMS_PG_DIR:-}" ] || return 0
    "${EKMS_PG_AS[@]}" "$EKMS_PG_BIN/pg_ctl" -D "$EKMS_PG_DIR/data" -w -m fast stop > /dev/null 2>&1 || true
    rm -rf "$EKMS_PG_DIR"
    EKMS_PG_DIR=
}

# ekms_test_binaries PACKAGE: the test executables of workspace package PACKAGE (its unit tests
# and each integration test, named `<target>-<hash>`) as `cargo test --workspace --locked`
# built them, one a line: to run again without a rebuild (`cargo test -p PACKAGE` would resolve
# other features, and so rebuild). Each must run from the package's directory, as cargo runs it.
ekms_test_binaries() {
    cargo test --workspace --locked --no-run --message-format=json 2> /dev/null |
        python3 -c '
import json, sys
package = sys.argv[1]
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or not m.get("executable") or not m["profile"]["test"]:
        continue
    # path+file:///…/crates/NAME#VERSION, or …#NAME@VERSION when the directory is named otherwise.
    pid = m["package_id"]
    fragment = pid.split("#", 1)[1] if "#" in pid else ""
    name = fragment.split("@")[0] if "@" in fragment else pid.split("#")[0].rstrip("/").split("/")[-1]
    if name == package:
        print(m["executable"])
' "$1"
}

# ekms_alive PID: whether the process runs (a zombie, ended but not yet reaped, does not).
ekms_alive() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2> /dev/null) || return 1
    case $state in Z* | X* | '') return 1 ;; esac
}

# ekms_server_ready OUT PID [KMIP]: waits (up to 60 s) until ekms-server PID has printed to OUT
# its HTTPS and (unless KMIP is 0) KMIP listening lines and its certificate line; sets EKMS_URL
# and EKMS_KMIP.
# Returns 1 when the server ended first, 2 when it printed no listening lines in time.
ekms_server_ready() {
    local out=$1 pid=$2 kmip=${3:-1}
    EKMS_URL='' EKMS_KMIP=''
    for _ in $(seq 1 600); do
        EKMS_URL=$(sed -n 's/^listening on \(https:\/\/.*\)$/\1/p' "$out" | head -n1)
        EKMS_KMIP=$(sed -n 's/^kmip listening on \(.*\)$/\1/p' "$out" | head -n1)
        if [ -n "$EKMS_URL" ] && { [ "$kmip" = 0 ] || [ -n "$EKMS_KMIP" ]; } &&
            grep -q '^certificate sha256: ' "$out"; then
            return 0
        fi
        ekms_alive "$pid" || return 1
        sleep 0.1
    done
    return 2
}

# A private work dir for a client suite run by the CI ($EKMS_WORK), and at exit: the server that
# ekms_start_server started stopped, the cluster of ekms_pg_start too, the work dir removed
# unless $2 is 1 (then its path said). $1 names the run in the dir's name and the messages.
ekms_work_dir() {
    EKMS_RUN=$1 EKMS_KEEP_WORK=$2 EKMS_SERVER_PID=
    EKMS_WORK=$(mktemp -d "${TMPDIR:-/tmp}/ekms-$1.XXXXXX")
    chmod 700 "$EKMS_WORK"
    trap ekms_work_cleanup EXIT
}

ekms_work_cleanup() {
    if [ -n "$EKMS_SERVER_PID" ] && kill -0 "$EKMS_SERVER_PID" 2>/dev/null; then
        kill "$EKMS_SERVER_PID" 2>/dev/null || true
        wait "$EKMS_SERVER_PID" 2>/dev/null || true
    fi
    ekms_pg_stop
    if [ "$EKMS_KEEP_WORK" = 1 ]; then
        echo "$EKMS_RUN: work dir kept: $EKMS_WORK"
    else
        rm -rf "$EKMS_WORK"
    fi
}

# Starts the server ($EKMS_SERVER_BIN, else a debug build of the clone at $1) on an ephemeral
# HTTPS port (the KMIP socket too when the further arguments say `--kmip-listen`) with data and
# platform dirs in $EKMS_WORK, in a clean environment (no EKMS_* setting of the
# caller leaks in; protocol debug lines name each operation and its result, never a secret),
# and waits for its listening lines: EKMS_URL, EKMS_KMIP and EKMS_SERVER_PID are set; its output
# is in $EKMS_WORK/server.out and server.log. Further arguments go to the server. Returns 1 with
# the server's output on stderr when it does not start.
ekms_start_server() {
    local root=$1 bin kmip=0
    shift
    case " $* " in *" --kmip-listen "*) kmip=1 ;; esac
    if [ -n "${EKMS_SERVER_BIN:-}" ]; then
        bin=$EKMS_SERVER_BIN
    else
        echo "$EKMS_RUN: building ekms-server"
        (cd "$root" && cargo build --locked -q -p ekms-server) || return 1
        bin="${CARGO_TARGET_DIR:-$root/target}/debug/ekms-server"
    fi
    [ -x "$bin" ] || { echo "$EKMS_RUN: no server binary at $bin" >&2; return 1; }
    # The output files exist before the server starts, so the start-up loop never reads a file
    # the background shell has not created yet (under `set -e` that read would end the script).
    : > "$EKMS_WORK/server.out"
    : > "$EKMS_WORK/server.log"
    env -i PATH="$PATH" NO_COLOR=1 EKMS_LOG="${EKMS_LOG:-info,ekms_server::protocol=debug}" "$bin" \
        --listen 127.0.0.1:0 \
        --data-dir "$EKMS_WORK/data" \
        --emulated-platform-dir "$EKMS_WORK/platform" \
        "$@" \
        > "$EKMS_WORK/server.out" 2> "$EKMS_WORK/server.log" &
    EKMS_SERVER_PID=$!
    local ready=0
    ekms_server_ready "$EKMS_WORK/server.out" "$EKMS_SERVER_PID" "$kmip" || ready=$?
    [ "$ready" = 0 ] && return 0
    cat "$EKMS_WORK/server.out" "$EKMS_WORK/server.log" >&2
    echo "$EKMS_RUN: ekms-server did not start (exited, or printed no listening lines)" >&2
    return 1
}
