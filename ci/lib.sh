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

# ekms_need_postgresql LOG: installs PostgreSQL from Debian's packages when no server of it is
# installed (needs root, as on CI), its apt output in LOG; the store's tests start throwaway
# clusters of it (crates/ekms-testkit/src/postgres.rs) and, with CI set, fail without it.
# RUNLEVEL=1: the package's init script must not start a system cluster.
ekms_need_postgresql() {
    local log=$1
    compgen -G '/usr/lib/postgresql/*/bin/initdb' > /dev/null && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "PostgreSQL is not installed: apt-get install postgresql (needs root)" >&2
        return 1
    fi
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            && RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
    } > "$log" 2>&1 || {
        tail -n 30 "$log" >&2
        return 1
    }
    echo installed
}

# ekms_alive PID: whether the process runs (a zombie, ended but not yet reaped, does not).
ekms_alive() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2> /dev/null) || return 1
    case $state in Z* | X* | '') return 1 ;; esac
}

# ekms_server_ready OUT PID: waits (up to 60 s) until ekms-server PID has printed to OUT its
# HTTPS and KMIP listening lines and its certificate line; sets EKMS_URL and EKMS_KMIP.
# Returns 1 when the server ended first, 2 when it printed no listening lines in time.
ekms_server_ready() {
    local out=$1 pid=$2
    EKMS_URL='' EKMS_KMIP=''
    for _ in $(seq 1 600); do
        EKMS_URL=$(sed -n 's/^listening on \(https:\/\/.*\)$/\1/p' "$out" | head -n1)
        EKMS_KMIP=$(sed -n 's/^kmip listening on \(.*\)$/\1/p' "$out" | head -n1)
        if [ -n "$EKMS_URL" ] && [ -n "$EKMS_KMIP" ] && grep -q '^certificate sha256: ' "$out"; then
            return 0
        fi
        ekms_alive "$pid" || return 1
        sleep 0.1
    done
    return 2
}
