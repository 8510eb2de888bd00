#!/usr/bin/env bash
# TLS handshakes per second on ekms-server's two listeners, new sessions against resumed ones.
#
# Starts the release ekms-server (bench/lib.sh: ephemeral loopback ports, its KMIP socket for a
# throwaway client CA) and runs `openssl s_time` against the HTTPS port and the KMIP socket, in
# TLS 1.3 and TLS 1.2, once with a new session per connection (`-new`: a full handshake each
# time) and once resuming the first connection's session (`-reuse`). Each connection sends one
# line and reads the answer, so that TLS 1.3 tickets (sent after the handshake) reach the
# client. One client, one connection at a time; the client shares the machine with the server.
# Prints one Markdown table row per case: connections per second of wall time and how many of
# the connections were resumed (s_time's own count). Then a crowd: EKMS_BENCH_CLIENTS [400]
# clients (Python's ssl, one saved session each) connect once each, then each reconnects with
# its own session, in turn: how many of the reconnections were resumed, and their rate. A
# server that keeps sessions in a bounded table forgets the first clients' before they return.
#
# Usage: bench/handshakes.sh
# Settings (environment; defaults in brackets): EKMS_BENCH_SECONDS [5] per case, and those of
# bench/lib.sh (EKMS_SERVER_BIN, EKMS_BIN, CARGO_TARGET_DIR, EKMS_BENCH_NO_BUILD=1, ...).
set -euo pipefail
BENCH_NAME=handshakes
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

seconds=${EKMS_BENCH_SECONDS:-5}
clients=${EKMS_BENCH_CLIENTS:-400}
command -v openssl > /dev/null || bench_die "openssl is missing (Debian package openssl)"

bench_init
bench_binaries
bench_pki "$BENCH_WORK/pki"
bench_start_ekms

client=(-cert "$BENCH_WORK/pki/client.pem" -key "$BENCH_WORK/pki/client.key")
echo "| listener | TLS | sessions | connections/s | resumed |"
echo "|---|---|---|---:|---:|"
for listener in https kmip; do
    if [ "$listener" = https ]; then
        addr=${EKMS_URL#https://}
        extra=()
    else
        addr=$EKMS_KMIP
        extra=("${client[@]}")
    fi
    for version in 1.3 1.2; do
        for mode in new reuse; do
            out=$BENCH_WORK/s_time-$listener-$version-$mode.txt
            openssl s_time -connect "$addr" "-tls${version/./_}" "-$mode" -www / \
                -time "$seconds" -CAfile "$EKMS_SERVER_CERT" "${extra[@]}" > "$out" 2>&1 \
                || bench_die "openssl s_time failed against $listener ($(tail -n 3 "$out"))"
            # s_time ends with "N connections in S real seconds, ..."; before it, one
            # character per connection (`r`: the session was resumed).
            line=$(grep -E '^[0-9]+ connections in [0-9]+ real seconds' "$out" | tail -n 1)
            [ -n "$line" ] || bench_die "no result from openssl s_time against $listener"
            read -r total _ _ real _ <<< "$line"
            resumed=$(grep -E '^[*r.]+$' "$out" | tr -cd 'r' | wc -c)
            rate=$(python3 -c "print(f'{$total / $real:,.0f}')")
            echo "| $listener | $version | $mode | $rate | $resumed |"
        done
    done
done

echo
echo "| listener | TLS | clients | reconnections resumed | reconnections/s |"
echo "|---|---|---:|---:|---:|"
for listener in https kmip; do
    if [ "$listener" = https ]; then addr=${EKMS_URL#https://}; else addr=$EKMS_KMIP; fi
    for version in 1.3 1.2; do
        python3 - "$listener" "$addr" "$version" "$clients" "$EKMS_SERVER_CERT" \
            "$BENCH_WORK/pki/client.pem" "$BENCH_WORK/pki/client.key" << 'PY' \
            || bench_die "the crowd of clients failed against $listener"
import socket, ssl, sys, time
listener, addr, version, clients, ca, cert, key = sys.argv[1:]
host, port = addr.rsplit(":", 1)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
ctx.minimum_version = ctx.maximum_version = v
if listener == "kmip":
    ctx.load_cert_chain(cert, key)
    # Not a KMIP message: answered with a KMIP error, which is all the reading needs.
    ask = b"\x00" * 8
else:
    ask = b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

def once(session=None):
    with socket.create_connection((host, int(port))) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
            s.sendall(ask)
            # TLS 1.3 tickets come with the first records after the handshake.
            while s.recv(65536):
                pass
            return s.session, s.session_reused

sessions = [once()[0] for _ in range(int(clients))]
start = time.perf_counter()
resumed = sum(once(s)[1] for s in sessions)
rate = len(sessions) / (time.perf_counter() - start)
print(f"| {listener} | {version} | {clients} | {resumed} | {rate:,.0f} |")
PY
    done
done
