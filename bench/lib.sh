# shellcheck shell=bash
# Shared by bench/compare.sh and bench/smoke.sh (sourced, not run): a work directory cleaned up
# on exit with every process started here (each in a process group of its own, stopped by
# group), a throwaway PKI, the release binaries, ekms-server with a registered group, PyKMIP's
# server from a venv, nginx serving a static answer over HTTPS, and `ekms bench` runs whose JSON
# reports are kept in the work directory.
#
# The caller sets BENCH_NAME (the prefix of messages) and `set -euo pipefail` before sourcing.
#
# Settings (environment):
#   CARGO_TARGET_DIR      where the release binaries are built (default: <repo>/target)
#   EKMS_BENCH_NO_BUILD=1 use the binaries already in $CARGO_TARGET_DIR/release
#   EKMS_SERVER_BIN, EKMS_BIN  use these binaries (no build)
#   EKMS_BENCH_KEEP=1     keep the work directory (logs, configs, reports)
#   EKMS_BENCH_VENV       the venv of PyKMIP's server (default /var/tmp/ekms-bench-venv)

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=ci/lib.sh
source "$bench_root/ci/lib.sh"

bench_say() { echo "${BENCH_NAME:-bench}: $*" >&2; }
bench_die() {
    echo "${BENCH_NAME:-bench}: FAILED: $*" >&2
    exit 1
}

# `bench_cpu_ticks PID...`: the CPU time (user + system, in clock ticks: `getconf CLK_TCK` a
# second) the processes have used so far; a process gone counts nothing. Fields 14 and 15 of
# /proc/PID/stat, counted after the command name, which may hold spaces.
bench_cpu_ticks() {
    local total=0 pid
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
    done
    echo "$total"
}

# --- work directory and processes ----------------------------------------------------------------

bench_pids=()
BENCH_WORK=

# Whether process $1 leads its own process group (started by bench_spawn).
bench_group_leader() {
    local fields
    fields=$(sed 's/.*) //' "/proc/$1/stat" 2> /dev/null) || return 1
    # After the command name: state, ppid, pgrp.
    [ "$(echo "$fields" | cut -d' ' -f3)" = "$1" ]
}

# Whether a process of group $1 runs (zombies do not count: those left to init may wait a while
# to be reaped).
bench_group_alive() {
    local member
    for member in $(pgrep -g "$1" 2> /dev/null); do
        ekms_alive "$member" && return 0
    done
    return 1
}

# Stops what bench_spawn started as $1: SIGTERM to its process group (PyKMIP's server forks
# helper processes that outlive it otherwise), 5 s to finish, then SIGKILL.
bench_stop() {
    local pid=$1
    if bench_group_leader "$pid"; then
        kill -TERM -- "-$pid" 2> /dev/null || true
        for _ in $(seq 1 50); do
            bench_group_alive "$pid" || break
            sleep 0.1
        done
        if bench_group_alive "$pid"; then
            kill -KILL -- "-$pid" 2> /dev/null || true
        fi
    elif ekms_alive "$pid"; then
        kill -TERM "$pid" 2> /dev/null || true
        for _ in $(seq 1 50); do
            ekms_alive "$pid" || break
            sleep 0.1
        done
        if ekms_alive "$pid"; then
            kill -KILL "$pid" 2> /dev/null || true
        fi
    fi
    wait "$pid" 2> /dev/null || true
}

bench_cleanup() {
    local i
    # Newest first: nginx and the servers end before the work dir they write into goes.
    for ((i = ${#bench_pids[@]} - 1; i >= 0; i--)); do
        bench_stop "${bench_pids[$i]}"
    done
    if [ -n "$BENCH_WORK" ] && [ -d "$BENCH_WORK" ]; then
        if [ "${EKMS_BENCH_KEEP:-0}" = 1 ]; then
            bench_say "work dir kept: $BENCH_WORK"
        else
            rm -rf "$BENCH_WORK"
        fi
    fi
}

# Creates $BENCH_WORK and the exit trap. An interrupt ends the script through the EXIT trap.
bench_init() {
    BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/ekms-bench.XXXXXX")
    chmod 700 "$BENCH_WORK"
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# `bench_spawn OUT ERR COMMAND...`: runs COMMAND in the background, in a process group of its
# own (setsid: a background job of a script is no group leader, so setsid runs it in place and
# $! is the command itself), its output to the files OUT and ERR; sets BENCH_PID and has it
# stopped on exit.
bench_spawn() {
    local out=$1 err=$2
    shift 2
    setsid "$@" > "$out" 2> "$err" &
    BENCH_PID=$!
    bench_pids+=("$BENCH_PID")
}

# A free TCP port on 127.0.0.1, for servers that cannot pick their own (PyKMIP, nginx). The
# port is closed again before the server binds it; on a quiet machine nobody takes it meanwhile.
bench_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something accepts TCP connections on 127.0.0.1:$1, or $2 (a pid) has exited.
bench_wait_port() {
    local port=$1 pid=$2 what=$3
    for _ in $(seq 1 300); do
        if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
            return 0
        fi
        ekms_alive "$pid" || bench_die "$what exited during start-up"
        sleep 0.1
    done
    bench_die "$what does not listen on 127.0.0.1:$port"
}

# --- binaries --------------------------------------------------------------------------------------

# Sets EKMS_SERVER_BIN and EKMS_BIN (the release builds unless given).
bench_binaries() {
    if [ -n "${EKMS_SERVER_BIN:-}" ] && [ -n "${EKMS_BIN:-}" ]; then
        :
    else
        local target=${CARGO_TARGET_DIR:-$bench_root/target}
        if [ "${EKMS_BENCH_NO_BUILD:-0}" != 1 ]; then
            bench_say "building the release binaries (cargo build --release --locked -p ekms-server -p ekms-cli)"
            (cd "$bench_root" && cargo build --release --locked -q -p ekms-server -p ekms-cli) \
                || bench_die "the release build failed"
        fi
        EKMS_SERVER_BIN=$target/release/ekms-server
        EKMS_BIN=$target/release/ekms
    fi
    [ -x "$EKMS_SERVER_BIN" ] || bench_die "no server binary at $EKMS_SERVER_BIN"
    [ -x "$EKMS_BIN" ] || bench_die "no ekms binary at $EKMS_BIN"
}

# --- PKI -------------------------------------------------------------------------------------------

# A throwaway CA ($1/ca.pem), a server certificate for 127.0.0.1 and localhost ($1/server.pem,
# $1/server.key) and a client certificate whose common name is `bench` ($1/client.pem,
# $1/client.key). ECDSA P-256 throughout, as the certificate ekms-server generates for itself;
# valid for two days.
bench_pki() {
    local dir=$1
    mkdir -p "$dir"
    (
        cd "$dir"
        umask 077
        openssl ecparam -name prime256v1 -genkey -noout 2> /dev/null | openssl pkcs8 -topk8 -nocrypt -out ca.key
        openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=ekms bench CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem 2> /dev/null
        leaf() { # name, subject, extensions
            openssl ecparam -name prime256v1 -genkey -noout 2> /dev/null | openssl pkcs8 -topk8 -nocrypt -out "$1.key"
            openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2> /dev/null
            printf '%s\n' "$3" > "$1.ext"
            openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                -sha256 -extfile "$1.ext" -out "$1.pem" 2> /dev/null
            rm -f "$1.csr" "$1.ext"
        }
        leaf server "/CN=localhost" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
        leaf client "/CN=bench" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
        chmod 644 ca.pem server.pem client.pem
    ) || bench_die "cannot make the PKI with openssl"
}

# --- ekms-server -----------------------------------------------------------------------------------

# `bench_spawn_ekms NAME [ARG...]`: starts the release ekms-server on ephemeral ports (HTTPS, and
# the binary KMIP socket for the clients of $BENCH_WORK/pki) with the data and platform dirs
# $BENCH_WORK/NAME-data and NAME-platform, its output in NAME-server.out and .log, further
# arguments passed on. Sets EKMS_URL, EKMS_KMIP, EKMS_SERVER_CERT and EKMS_SERVER_PID.
bench_spawn_ekms() {
    local name=$1
    shift
    local out=$BENCH_WORK/$name-server.out log=$BENCH_WORK/$name-server.log
    : > "$out"
    : > "$log"
    # A clean environment, so that no EKMS_* setting of the caller changes the server; warnings
    # only, as a production server would log (PyKMIP is given the same level).
    bench_spawn "$out" "$log" env -i PATH="$PATH" NO_COLOR=1 EKMS_LOG=warn "$EKMS_SERVER_BIN" \
        --listen 127.0.0.1:0 \
        --kmip-listen 127.0.0.1:0 \
        --kmip-client-ca "$BENCH_WORK/pki/ca.pem" \
        --data-dir "$BENCH_WORK/$name-data" \
        --emulated-platform-dir "$BENCH_WORK/$name-platform" \
        "$@"
    EKMS_SERVER_PID=$BENCH_PID
    local ready=0
    ekms_server_ready "$out" "$EKMS_SERVER_PID" || ready=$?
    case $ready in
        0) ;;
        1)
            cat "$out" "$log" >&2
            bench_die "ekms-server exited during start-up"
            ;;
        *) bench_die "ekms-server printed no listening lines" ;;
    esac
    EKMS_SERVER_CERT=$BENCH_WORK/$name-data/certificate.pem
    [ -f "$EKMS_SERVER_CERT" ] || bench_die "ekms-server wrote no $EKMS_SERVER_CERT"
}

# `bench_register URL CA`: registers a group with the CLI at URL, trusting the certificates of
# the file CA, and exports EKMS_CONFIG (the CLI's config with the secret).
bench_register() {
    export EKMS_CONFIG=$BENCH_WORK/ekms.toml
    "$EKMS_BIN" --server-url "$1" --ca "$2" register > "$BENCH_WORK/register.log" 2>&1 \
        || bench_die "cannot register a group on ekms-server at $1"
}

# Starts the release ekms-server (bench_spawn_ekms, dirs $BENCH_WORK/ekms-*) and registers a
# group with the CLI. Sets EKMS_URL, EKMS_KMIP, EKMS_SERVER_CERT, EKMS_SERVER_PID and exports
# EKMS_CONFIG (the CLI's config with the secret).
bench_start_ekms() {
    bench_spawn_ekms ekms "$@"
    bench_register "$EKMS_URL" "$EKMS_SERVER_CERT"
    bench_say "ekms-server at $EKMS_URL, KMIP socket on $EKMS_KMIP"
}

# --- the PyKMIP server -----------------------------------------------------------------------------

# Sets BENCH_PY to the python of a venv with bench/requirements.txt (PyKMIP's server), made
# in $EKMS_BENCH_VENV (default /var/tmp/ekms-bench-venv) and reused while the pinned
# requirements are unchanged.
bench_pykmip_venv() {
    local venv=${EKMS_BENCH_VENV:-/var/tmp/ekms-bench-venv}
    local made
    made=$(ekms_venv "$venv" "$bench_root/bench/requirements.txt") \
        || bench_die "cannot install bench/requirements.txt into $venv"
    [ -z "$made" ] || bench_say "installed the PyKMIP server into $venv (bench/requirements.txt)"
    BENCH_PY=$venv/bin/python
    PYKMIP_VERSION=$("$BENCH_PY" -c 'import importlib.metadata as m; print(m.version("PyKMIP"))')
}

# Starts PyKMIP's server (`pykmip-server`) on an ephemeral loopback port: TLS 1.2 with the
# server certificate of $BENCH_WORK/pki, client certificates required and checked against its
# CA (the certificate's common name is the user), a SQLite database in the work dir, warnings
# only in its log (as ekms-server is started). Sets PYKMIP_ADDR.
bench_start_pykmip() {
    bench_pykmip_venv
    local dir=$BENCH_WORK/pykmip
    mkdir -p "$dir"
    local port
    port=$(bench_free_port)
    cat > "$dir/server.conf" << EOF
[server]
hostname=127.0.0.1
port=$port
certificate_path=$BENCH_WORK/pki/server.pem
key_path=$BENCH_WORK/pki/server.key
ca_path=$BENCH_WORK/pki/ca.pem
auth_suite=TLS1.2
enable_tls_client_auth=True
logging_level=WARNING
database_path=$dir/pykmip.db
EOF
    bench_spawn "$dir/stdout.log" "$dir/stderr.log" \
        "$(dirname "$BENCH_PY")/pykmip-server" -f "$dir/server.conf" -l "$dir/server.log"
    PYKMIP_PID=$BENCH_PID
    bench_wait_port "$port" "$PYKMIP_PID" pykmip-server
    PYKMIP_ADDR=127.0.0.1:$port
    bench_say "PyKMIP $PYKMIP_VERSION server on $PYKMIP_ADDR"
}

# --- nginx -----------------------------------------------------------------------------------------

# Installs nginx from Debian's packages when it is missing (needs root, as on CI).
bench_need_nginx() {
    command -v nginx > /dev/null 2>&1 && return 0
    [ -x /usr/sbin/nginx ] && return 0
    [ "$(id -u)" = 0 ] || bench_die "nginx is not installed: apt-get install nginx-light (needs root)"
    bench_say "installing nginx (apt-get install nginx-light)"
    # RUNLEVEL=1: the package's init script must not start a system nginx on port 80.
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            && RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light
    } > "$BENCH_WORK/apt.log" 2>&1 || {
        tail -n 30 "$BENCH_WORK/apt.log" >&2
        bench_die "cannot install nginx"
    }
}

# Starts nginx on an ephemeral loopback port, answering every POST with the bytes of $1 as
# `Content-Type: $2`, status 200, over TLS 1.2/1.3 with the ECDSA P-256 server certificate of
# $BENCH_WORK/pki and ALPN h2 and http/1.1 (the protocols ekms-server offers). Sets NGINX_URL.
bench_start_nginx() {
    local body_file=$1 content_type=$2
    bench_need_nginx
    local nginx_bin
    nginx_bin=$(command -v nginx 2> /dev/null || echo /usr/sbin/nginx)
    local dir=$BENCH_WORK/nginx
    mkdir -p "$dir/tmp"
    # nginx's `return` sends a text from its configuration; in a single-quoted string only `\`
    # and `'` need escaping, and `$` would name a variable: refuse it rather than mangle it.
    local body
    body=$(cat "$body_file")
    [ "$(printf '%s' "$body" | wc -c)" = "$(wc -c < "$body_file")" ] \
        || bench_die "the static answer ends with a newline, which the shell would drop"
    case $body in *'$'*) bench_die "the static answer contains \$, which nginx's return cannot send" ;; esac
    body=${body//\\/\\\\}
    body=${body//\'/\\\'}
    NGINX_PORT=$(bench_free_port)
    cat > "$dir/nginx.conf" << EOF
# Written by bench/lib.sh: the HTTPS ceiling of this machine, a static answer to every POST.
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    # One connection per bench task for the whole run, as with ekms-server, which has no limit
    # of requests per connection (nginx's default closes after 1000).
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    client_max_body_size 64m;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl http2;
        ssl_certificate $BENCH_WORK/pki/server.pem;
        ssl_certificate_key $BENCH_WORK/pki/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            limit_except POST { deny all; }
            default_type $content_type;
            return 200 '$body';
        }
    }
}
EOF
    "$nginx_bin" -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" 2> "$dir/check.log" || {
        cat "$dir/check.log" >&2
        bench_die "nginx refuses its configuration ($dir/nginx.conf)"
    }
    bench_spawn "$dir/stdout.log" "$dir/stderr.log" \
        "$nginx_bin" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
    NGINX_PID=$BENCH_PID
    bench_wait_port "$NGINX_PORT" "$NGINX_PID" nginx
    NGINX_URL=https://127.0.0.1:$NGINX_PORT
    NGINX_VERSION=$("$nginx_bin" -v 2>&1 | sed 's/^nginx version: nginx\///')
    bench_say "nginx $NGINX_VERSION at $NGINX_URL"
}

# The application protocol that TLS's ALPN settles on with HOST:PORT $1 when a client offers
# h2 and http/1.1, as ekms's client does (reqwest over rustls): "h2", "http/1.1" or "none".
bench_alpn() {
    local answer
    answer=$(timeout 20 openssl s_client -connect "$1" -servername localhost -alpn h2,http/1.1 \
        < /dev/null 2> /dev/null | sed -n 's/^ALPN protocol: //p' | head -n1)
    echo "${answer:-none}"
}

# Dies unless ekms-server and nginx settle on the same HTTP version with ekms's client.
bench_same_alpn() {
    local ekms nginx
    ekms=$(bench_alpn "${EKMS_URL#https://}")
    nginx=$(bench_alpn "${NGINX_URL#https://}")
    [ "$ekms" = "$nginx" ] || bench_die "ALPN: ekms-server speaks $ekms, nginx $nginx: not the same HTTP"
    BENCH_HTTP=$ekms
    bench_say "ALPN: $BENCH_HTTP with ekms-server and with nginx"
}

# --- ekms bench ------------------------------------------------------------------------------------

# `bench_run NAME [GLOBAL_OPTION...] -- [BENCH_ARG...]`: `ekms --json GLOBAL_OPTION... bench
# BENCH_ARG...`, its report kept as $BENCH_WORK/reports/NAME.json, whose path it prints. Dies
# when the run fails.
bench_run() {
    local name=$1
    shift
    local globals=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        globals+=("$1")
        shift
    done
    [ $# -gt 0 ] || bench_die "bench_run $name: no -- before the bench arguments"
    shift
    mkdir -p "$BENCH_WORK/reports"
    local report=$BENCH_WORK/reports/$name.json
    if ! "$EKMS_BIN" --json "${globals[@]}" bench "$@" > "$report" 2> "$BENCH_WORK/reports/$name.err"; then
        cat "$BENCH_WORK/reports/$name.err" "$report" >&2
        bench_die "ekms bench $* failed"
    fi
    echo "$report"
}

# Field $2 (a dotted path, e.g. latency_us.p99) of the JSON report $1.
bench_field() {
    python3 - "$1" "$2" << 'PY'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    value = value[key]
print("" if value is None else value)
PY
}
