#!/usr/bin/env bash
# Encrypt, Create and Locate rates of one ekms-server on the embedded SQLCipher store, then on
# PostgreSQL (one node), then of two nodes on that PostgreSQL behind HAProxy (TLS passed
# through, round robin per connection), in one run on this machine: AES-256-GCM 1 KiB Encrypt,
# AES-256 Create and Locate by name over HTTPS JSON, EKMS_PG_BENCH_CONNECTIONS connections (16),
# EKMS_PG_BENCH_SECONDS each (10), then the OASIS conformance cases of testdata/kmip-testcases
# played one after the other by `ekms conformance run` (a group registered per case; cases per
# second; unless EKMS_PG_BENCH_CONFORMANCE=0). PostgreSQL is a throwaway cluster of Debian's `postgresql`
# (ci/lib.sh's ekms_pg_start: run as the system user ekms-pg, fsync on as in production), HAProxy
# Debian's `haproxy`, all on the same cores as the servers and the load generator. Each row
# also says where the machine's CPU went during the measurement: the cores used by the nodes,
# PostgreSQL, HAProxy and the load generator. Never run by .ci/run; results go to BENCHMARKS.md.
set -euo pipefail
BENCH_NAME=postgres
source "$(dirname "$0")/lib.sh"

seconds=${EKMS_PG_BENCH_SECONDS:-10}
connections=${EKMS_PG_BENCH_CONNECTIONS:-16}
haproxy_bin=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$haproxy_bin" ] || bench_die "no HAProxy: install Debian's haproxy"

bench_init
bench_binaries
bench_pki "$BENCH_WORK/pki"

# --- the cluster (ci/lib.sh; fsync on, as in production) ------------------------------------
ekms_pg_start || bench_die "no PostgreSQL cluster: install Debian's postgresql"
trap 'ekms_pg_stop; bench_cleanup' EXIT
url=$EKMS_PG_URL

# --- CPU: where each core's time goes ------------------------------------------------------------

ticks=$(getconf CLK_TCK)
# The PostgreSQL server's processes: the postmaster and its children (the nodes' backends).
pg_pids() {
    local postmaster
    postmaster=$(head -n1 "$EKMS_PG_DIR/data/postmaster.pid")
    echo "$postmaster" "$(pgrep -P "$postmaster" | tr '\n' ' ')"
}
# "nodes postgres haproxy busy idle": the CPU ticks of each part so far, then the machine's
# busy and idle ticks over all its cores (/proc/stat), which include whatever else runs.
cpu_snapshot() {
    # shellcheck disable=SC2046,SC2086 # lists of pids
    echo "$(bench_cpu_ticks $node_pids) $(bench_cpu_ticks $(pg_pids)) $(bench_cpu_ticks $haproxy_pid)" \
        "$(awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat)"
}

# --- the runs ------------------------------------------------------------------------------
run=(--payload-size 1024 --connections "$connections" --duration "$seconds" --warmup 2)
# The CPU is read over a window inside the measurement: from 1 s after the warm-up to 1 s
# before the end.
window=$((seconds - 2))
reports=()
# `measure SETUP OP [GLOBAL_OPTION...]`: one `ekms bench` run, and the CPU of each part.
measure() {
    local setup=$1 op=$2
    shift 2
    (
        sleep 3
        cpu_snapshot > "$BENCH_WORK/cpu-$setup-$op.start"
        sleep "$window"
        cpu_snapshot > "$BENCH_WORK/cpu-$setup-$op.end"
    ) &
    local sampler=$! report
    report=$(bench_run "$setup-$op" "$@" -- --op "$op" "${run[@]}")
    wait "$sampler"
    reports+=("$setup $op $report $BENCH_WORK/cpu-$setup-$op")
}

# `start_two_nodes`: two nodes on the database behind HAProxy, with the configuration
# docs/several-nodes.md shows ("Behind HAProxy"), and a group registered through it; sets
# node_pids, haproxy_pid and url_args (the CLI's options to reach and trust the nodes).
start_two_nodes() {
    local backends=() name port
    node_pids=
    : > "$BENCH_WORK/nodes.pem"
    for name in node-a node-b; do
        bench_spawn_ekms "$name" --database "$url" --database-password-file "$EKMS_PG_PASSWORD_FILE" \
            "${unlimited[@]}"
        node_pids="$node_pids $EKMS_SERVER_PID"
        backends+=("${EKMS_URL#https://}")
        cat "$EKMS_SERVER_CERT" >> "$BENCH_WORK/nodes.pem"
    done
    port=$(bench_free_port)
    cat > "$BENCH_WORK/haproxy.cfg" << EOF
defaults
    mode tcp
    timeout connect 2s
    timeout client 180s
    timeout server 180s

frontend ekms
    bind 127.0.0.1:$port
    default_backend ekms_nodes

backend ekms_nodes
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    server node0 ${backends[0]} check check-ssl verify none inter 1s
    server node1 ${backends[1]} check check-ssl verify none inter 1s
EOF
    bench_spawn "$BENCH_WORK/haproxy.out" "$BENCH_WORK/haproxy.log" \
        "$haproxy_bin" -db -f "$BENCH_WORK/haproxy.cfg"
    haproxy_pid=$BENCH_PID
    bench_wait_port "$port" "$haproxy_pid" haproxy
    # Both certificates trusted: each connection reaches one node or the other.
    bench_register "https://127.0.0.1:$port" "$BENCH_WORK/nodes.pem"
    url_args=(--server-url "https://127.0.0.1:$port" --ca "$BENCH_WORK/nodes.pem")
    bench_say "two nodes behind HAProxy at https://127.0.0.1:$port"
}

# `conformance SETUP`: plays the conformance cases through the server just started (its KMIP
# socket; HTTPS through $https) and notes the cases played and the seconds it took.
conformance() {
    local setup=$1 start end
    [ "${EKMS_PG_BENCH_CONFORMANCE:-1}" = 1 ] || return 0
    start=$(date +%s.%N)
    # Optional cases ekms does not pass fail the run: the count of cases played is what matters.
    "$EKMS_BIN" --ca "$ca" --client-cert "$BENCH_WORK/pki/client.pem" \
        --client-key "$BENCH_WORK/pki/client.key" conformance run --kmip "$EKMS_KMIP" \
        --https "$https" "$bench_root/testdata/kmip-testcases" \
        > "$BENCH_WORK/conformance-$setup.out" 2> "$BENCH_WORK/conformance-$setup.err" || true
    end=$(date +%s.%N)
    echo "$(grep -cE '^(PASS|FAIL) ' "$BENCH_WORK/conformance-$setup.out") $start $end" \
        > "$BENCH_WORK/conformance-$setup"
}

# Each conformance case registers a group: registrations unlimited for the run.
unlimited=(--register-rate-per-minute 0 --register-rate-per-hour 0)
haproxy_pid=
for setup in sqlcipher postgres two-nodes; do
    url_args=()
    case $setup in
        sqlcipher) bench_start_ekms "${unlimited[@]}" ;;
        postgres) bench_start_ekms --database "$url" --database-password-file "$EKMS_PG_PASSWORD_FILE" "${unlimited[@]}" ;;
        two-nodes) start_two_nodes ;;
    esac
    [ "$setup" = two-nodes ] || node_pids=$EKMS_SERVER_PID
    for op in encrypt create locate; do
        measure "$setup" "$op" "${url_args[@]}"
    done
    # Two nodes: HTTPS (registrations, HTTPS-encoded cases) through HAProxy, the KMIP socket of
    # the second node (HAProxy fronts the HTTPS port only).
    https=$EKMS_URL ca=$EKMS_SERVER_CERT
    [ "$setup" != two-nodes ] || https=${url_args[1]} ca=$BENCH_WORK/nodes.pem
    conformance "$setup"
    # shellcheck disable=SC2086 # a list of pids
    for pid in $node_pids $haproxy_pid; do bench_stop "$pid"; done
    rm -rf "$BENCH_WORK"/*-data "$BENCH_WORK/ekms.toml"
done
if grep -q ' is DOWN' "$BENCH_WORK/haproxy.log"; then
    cat "$BENCH_WORK/haproxy.log" >&2
    bench_die "HAProxy took a node out during the run"
fi

python3 - "$connections" "$ticks" "$window" "$BENCH_WORK" "${reports[@]}" << 'PY'
import json, os, sys
connections, ticks, window, work, rows = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5:]
rates = {}
print(f"HTTPS JSON, {connections} connections; cores used (CPU seconds per second) over "
      f"{window:.0f} s of each measurement (the client's over all of it); other: the rest of "
      f"the machine's busy time (other processes, the kernel's work for no one process)")
print(f"{'setup':<10} {'op':<8} {'ops/s':>9} {'p50':>9} {'p99':>10} {'errors':>7}"
      f" {'nodes':>6} {'postgres':>9} {'haproxy':>8} {'client':>7} {'other':>6} {'idle':>5}")
for row in rows:
    setup, op, path, cpu = row.split(" ", 3)
    r = json.load(open(path))
    rates[(setup, op)] = r["ops_per_second"]
    l = r["latency_us"]
    start = [int(x) for x in open(cpu + ".start").read().split()]
    end = [int(x) for x in open(cpu + ".end").read().split()]
    nodes, pg, proxy, busy, idle = [(e - s) / ticks / window for s, e in zip(start, end)]
    client = (r.get("client_cpu_seconds") or float("nan")) / r["elapsed_seconds"]
    other = busy - nodes - pg - proxy - client
    print(f"{setup:<10} {op:<8} {r['ops_per_second']:>9,.0f} {l['p50'] / 1000:>6.2f} ms"
          f" {l['p99'] / 1000:>7.2f} ms {r['errors']:>7} {nodes:>6.2f} {pg:>9.2f} {proxy:>8.2f}"
          f" {client:>7.2f} {other:>6.2f} {idle:>5.2f}")
for setup in ("postgres", "two-nodes"):
    for op in ("encrypt", "create", "locate"):
        print(f"{setup} / sqlcipher, {op}: {rates[(setup, op)] / rates[('sqlcipher', op)]:.2f}")
for setup in ("sqlcipher", "postgres", "two-nodes"):
    path = os.path.join(work, f"conformance-{setup}")
    if os.path.exists(path):
        cases, start, end = open(path).read().split()
        seconds = float(end) - float(start)
        print(f"{setup} conformance: {cases} cases in {seconds:.1f} s, "
              f"{int(cases) / seconds:.1f} cases/s")
PY
