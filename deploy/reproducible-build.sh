#!/usr/bin/env bash
# Reproducible release build of ekms-server: two clones of the same commit, in any two
# directories, give the same binary bit for bit (deploy/check-reproducible.sh checks it). The
# enclave's measurement covers this binary, so users who rebuild it can compare mr_enclave.
#
# What makes it reproducible:
#   - the compiler pinned exactly in rust-toolchain.toml, and `--locked` (Cargo.lock as committed);
#   - a fixed target directory inside the build tree, so every build-script output path starts
#     with the source directory and is remapped with it;
#   - Rust paths remapped: the source directory to /ekms, cargo's home (registry sources) to
#     /cargo (`--remap-path-prefix` in RUSTFLAGS; anything else in RUSTFLAGS is dropped);
#   - C paths remapped the same way for the bundled C code (SQLCipher, OpenSSL, aws-lc):
#     `-ffile-prefix-map` in CFLAGS and CXXFLAGS;
#   - SOURCE_DATE_EPOCH set to the last commit's time, for any tool that stamps a date.
# The C compiler is not pinned here: the same hash needs the same C toolchain too (the builder
# image of deploy/docker/Dockerfile pins one).
#
# Usage: deploy/reproducible-build.sh [extra cargo build arguments, e.g. --offline]
# Prints `sha256 <hex>  <path of the binary>` as its last line.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd -P)"
cd "$src"

cargo_home="$(cd "${CARGO_HOME:-$HOME/.cargo}" && pwd -P)"
# The build's own settings replace whatever the caller's shell had.
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET_DIR RUSTC_WRAPPER
export CARGO_TARGET_DIR="$src/target/reproducible"
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH="$(git -C "$src" log -1 --format=%ct)"
export RUSTFLAGS="--remap-path-prefix=$src=/ekms --remap-path-prefix=$cargo_home=/cargo"
prefix_map="-ffile-prefix-map=$src=/ekms -ffile-prefix-map=$cargo_home=/cargo"
export CFLAGS="$prefix_map"
export CXXFLAGS="$prefix_map"

cargo build --release --locked -p ekms-server --bin ekms-server "$@" >&2

bin="$CARGO_TARGET_DIR/release/ekms-server"
printf 'sha256 %s  %s\n' "$(sha256sum "$bin" | cut -d' ' -f1)" "$bin"
