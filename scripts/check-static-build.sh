#!/usr/bin/env bash
# The part of the generated Dockerfile that runs without a container engine: the example's
# manager built for musl, linked statically (the image has no libc), then run. The Dockerfile
# builds with --release inside rust:alpine; this builds the debug profile, which links the same
# way, to keep CI short.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl

if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi
# ring compiles C code, and for musl the cc crate calls musl-gcc.
if ! command -v musl-gcc >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq musl-tools >/dev/null
  else
    echo "error: musl-gcc is not on PATH; install musl-tools (Debian, Ubuntu) or musl-gcc" >&2
    exit 1
  fi
fi

cd examples/tutorial
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --locked --quiet --target "$target" --bin manager
manager="$target_dir/$target/debug/manager"
if readelf -d "$manager" | grep -q NEEDED; then
  echo "error: the musl build of the manager is dynamically linked:" >&2
  readelf -d "$manager" | grep NEEDED >&2
  exit 1
fi
"$manager" --version
echo "static build passed"
