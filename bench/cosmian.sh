# shellcheck shell=bash
# Cosmian KMS beside ekms, for `bench/compare.sh --with-cosmian` (sourced after bench/lib.sh, not
# run): the server built once from the crate registry into a cache directory, and started on
# loopback ports with its HTTPS route and its binary KMIP socket.
#
# The build: the crate `cosmian_kms_server` at the pinned version (the .crate from cargo's
# download cache, else from crates.io; its SHA-256 checked), unpacked into CACHE/src, built
# with `cargo build --release --locked --no-default-features --features non-fips` (SQLite and
# the non-FIPS algorithms; the system's OpenSSL) into CACHE/target under `nice -n 10`, the
# binary copied to CACHE/bin/cosmian_kms and reused while it answers the pinned version. The
# registry copy's `non-fips` feature names `cosmian_kms_client_utils/non-fips`, a crate that is
# only a dev-dependency there, which cargo refuses ("does not have a dependency named"): that
# one line is dropped from the copy's Cargo.toml (tests only; the server is the same). On a
# 2-core machine the build takes 30 to 60 minutes, once.
#
# Settings (environment):
#   EKMS_COSMIAN_CACHE  the cache directory [/var/tmp/ekms-cosmian]

cosmian_version=5.28.0
# crates.io's checksum of cosmian_kms_server-5.28.0.crate (the registry index's `cksum`).
cosmian_crate_sha256=9b209aff1990f1f2303f07ccdfab498064f4e27559e7723d6af159c79c4785fb

# Sets COSMIAN_BIN, building it first unless the cached binary is the pinned version.
cosmian_build() {
    local cache=${EKMS_COSMIAN_CACHE:-/var/tmp/ekms-cosmian}
    COSMIAN_BIN=$cache/bin/cosmian_kms
    if "$COSMIAN_BIN" --version 2> /dev/null | grep -q " $cosmian_version\$"; then
        return 0
    fi
    bench_say "building Cosmian KMS $cosmian_version into $cache (30 to 60 minutes on 2 cores, once; log: $cache/build.log)"
    mkdir -p "$cache/src" "$cache/bin" || bench_die "cannot make $cache"
    local name=cosmian_kms_server-$cosmian_version
    local crate=$cache/$name.crate
    if [ ! -f "$crate" ]; then
        local cached
        cached=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$name.crate" 2> /dev/null | head -n1)
        if [ -n "$cached" ]; then
            cp "$cached" "$crate.part"
        else
            curl -sSfL -o "$crate.part" \
                "https://static.crates.io/crates/cosmian_kms_server/$name.crate" \
                || bench_die "cannot download $name.crate from crates.io"
        fi
        [ "$(sha256sum "$crate.part" | cut -d' ' -f1)" = "$cosmian_crate_sha256" ] \
            || bench_die "$name.crate does not have crates.io's checksum"
        mv "$crate.part" "$crate"
    fi
    local src=$cache/src/$name
    if [ ! -f "$src/Cargo.toml" ]; then
        tar -xzf "$crate" -C "$cache/src" || bench_die "cannot unpack $crate"
    fi
    # The one reference the registry copy cannot resolve (see the header). Only when still
    # there: the crate's build script declares no inputs, so any touched file of the crate
    # (its Cargo.toml too) rebuilds it.
    if grep -q 'cosmian_kms_client_utils/non-fips' "$src/Cargo.toml"; then
        sed -i '/^ *"cosmian_kms_client_utils\/non-fips",$/d' "$src/Cargo.toml"
        ! grep -q 'cosmian_kms_client_utils/non-fips' "$src/Cargo.toml" \
            || bench_die "$src/Cargo.toml: the non-fips feature's reference to cosmian_kms_client_utils is not where expected"
    fi
    # Its own target dir in the cache; cd: the crate's directory, not the clone's toolchain file.
    (cd "$src" && CARGO_TARGET_DIR=$cache/target nice -n 10 cargo build --release --locked \
        --no-default-features --features non-fips --bin cosmian_kms) > "$cache/build.log" 2>&1 || {
        tail -n 30 "$cache/build.log" >&2
        bench_die "the Cosmian KMS build failed (log: $cache/build.log)"
    }
    cp "$cache/target/release/cosmian_kms" "$COSMIAN_BIN.part" && mv "$COSMIAN_BIN.part" "$COSMIAN_BIN" \
        || bench_die "cannot copy the Cosmian KMS binary into $cache/bin"
    "$COSMIAN_BIN" --version 2> /dev/null | grep -q " $cosmian_version\$" \
        || bench_die "$COSMIAN_BIN does not answer version $cosmian_version"
}

# Starts Cosmian KMS with its defaults but for: SQLite in $BENCH_WORK/cosmian, HTTPS on an
# ephemeral loopback port with the server certificate of $BENCH_WORK/pki, the KMIP socket
# (`--socket-server-start`) on another with the same certificate, client certificates checked
# against the bench CA, warnings only in its log (as ekms-server is started). No
# authentication is configured: requests run as its default user. Sets COSMIAN_URL and
# COSMIAN_KMIP.
cosmian_start() {
    local dir=$BENCH_WORK/cosmian
    mkdir -p "$dir/tmp"
    local port socket_port
    port=$(bench_free_port)
    socket_port=$(bench_free_port)
    # A clean environment (no KMS_* setting of the caller, no COSMIAN_KMS_CONF); HOME in the
    # work dir so that nothing is written outside it.
    bench_spawn "$dir/stdout.log" "$dir/stderr.log" env -i PATH="$PATH" HOME="$dir" \
        "$COSMIAN_BIN" \
        --database-type sqlite --sqlite-path "$dir/sqlite" \
        --root-data-path "$dir" --tmp-path "$dir/tmp" \
        --hostname 127.0.0.1 --port "$port" \
        --tls-cert-file "$BENCH_WORK/pki/server.pem" --tls-key-file "$BENCH_WORK/pki/server.key" \
        --clients-ca-cert-file "$BENCH_WORK/pki/ca.pem" \
        --socket-server-start --socket-server-hostname 127.0.0.1 \
        --socket-server-port "$socket_port" \
        --rust-log warn
    COSMIAN_PID=$BENCH_PID
    bench_wait_port "$port" "$COSMIAN_PID" "Cosmian KMS (HTTPS)"
    bench_wait_port "$socket_port" "$COSMIAN_PID" "Cosmian KMS (KMIP socket)"
    COSMIAN_URL=https://127.0.0.1:$port
    COSMIAN_KMIP=127.0.0.1:$socket_port
    bench_say "Cosmian KMS $cosmian_version at $COSMIAN_URL, KMIP socket on $COSMIAN_KMIP"
}
