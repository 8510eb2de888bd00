#!/usr/bin/env bash
# Reproducible release build of ekms-server: two clones of the same commit, in any two
# directories, give the same binary bit for bit (deploy/check-reproducible.sh checks it). The
# enclave's measurement covers this binary, so users who rebuild it can compare mr_enclave.
#
# What makes it reproducible:
#   - the compiler pinned exactly in rust-toolchain.toml, and `--locked` (Cargo.lock as committed);
#   - every compiler sees the same paths whatever directory the clone is in: the build goes
#     through a fixed directory of symbolic links, $EKMS_REPRO_ROOT (default
#     /tmp/ekms-reproducible-build): `src` to the source tree, `target` to the target directory
#     `target/reproducible` inside the tree, `cargo` to cargo's home (registry sources). This is
#     needed beyond the remaps below because the bundled OpenSSL writes its build paths and its
#     compiler flags into the library as strings (ENGINESDIR, MODULESDIR, "compiler: …");
#   - Rust paths remapped (`--remap-path-prefix` in RUSTFLAGS: the source to /ekms, the target
#     directory to /ekms/target, cargo's home to /cargo; anything else in RUSTFLAGS is dropped);
#   - C paths remapped the same way for the bundled C code (SQLCipher, OpenSSL, aws-lc):
#     `-ffile-prefix-map` in CFLAGS and CXXFLAGS;
#   - SOURCE_DATE_EPOCH set to the last commit's time, for any tool that stamps a date.
# The C compiler is not pinned here: the same hash needs the same C toolchain too (the builder
# image of deploy/docker/Dockerfile pins one). One build at a time uses the fixed directory
# (a lock next to it makes a second one wait). OpenSSL's strings hold that directory's name, so
# another $EKMS_REPRO_ROOT gives another binary: it exists for the tests, not for releases.
#
# Usage: deploy/reproducible-build.sh [extra cargo build arguments, e.g. --offline]
# Prints `sha256 <hex>  <path of the binary>` as its last line.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd -P)"
cd "$src"

cargo_home="$(cd "${CARGO_HOME:-$HOME/.cargo}" && pwd -P)"
root="${EKMS_REPRO_ROOT:-/tmp/ekms-reproducible-build}"
mkdir -p "$src/target/reproducible" "$root"
exec 9>"$root.lock"
flock 9
ln -sfn "$src" "$root/src"
ln -sfn "$src/target/reproducible" "$root/target"
ln -sfn "$cargo_home" "$root/cargo"

# The build's own settings replace whatever the caller's shell had.
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET_DIR RUSTC_WRAPPER
export CARGO_HOME="$root/cargo"
export CARGO_TARGET_DIR="$root/target"
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH="$(git -C "$src" log -1 --format=%ct)"
export RUSTFLAGS="--remap-path-prefix=$root/src=/ekms --remap-path-prefix=$root/target=/ekms/target --remap-path-prefix=$root/cargo=/cargo"
prefix_map="-ffile-prefix-map=$root/src=/ekms -ffile-prefix-map=$root/target=/ekms/target -ffile-prefix-map=$root/cargo=/cargo"
export CFLAGS="$prefix_map"
export CXXFLAGS="$prefix_map"

# Through the link, so that cargo and rustc work in $root/src, not in the clone's own path.
cd "$root/src"
cargo build --manifest-path "$root/src/Cargo.toml" --release --locked -p ekms-server --bin ekms-server "$@" >&2

bin="$src/target/reproducible/release/ekms-server"
printf 'sha256 %s  %s\n' "$(sha256sum "$bin" | cut -d' ' -f1)" "$bin"
