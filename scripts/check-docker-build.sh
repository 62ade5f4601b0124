#!/usr/bin/env bash
# The generated Dockerfile's build, without a container engine: a clean folder receives exactly
# what the Dockerfile's COPY lines copy from the project (and nothing else, so a path that
# points outside the project fails here as it would in `docker build`), then the builder stage's
# commands run there: the dependency build against stub sources, then the real build, then the
# static-link check. The Dockerfile builds inside rust:alpine, whose Rust targets musl; here the
# musl target is named explicitly. The binary then runs (`manager --version`).
#
# Usage: scripts/check-docker-build.sh PROJECT_DIR
set -euo pipefail
project=$(cd "${1:?usage: $0 PROJECT_DIR}" && pwd)
target=x86_64-unknown-linux-musl

if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi
# ring compiles C code, and for musl the cc crate calls musl-gcc.
if ! command -v musl-gcc >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq musl-tools >/dev/null || { apt-get update -qq && apt-get install -y -qq musl-tools >/dev/null; }
  else
    echo "error: musl-gcc is not on PATH; install musl-tools (Debian, Ubuntu) or musl-gcc" >&2
    exit 1
  fi
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
# The build context as the Dockerfile sees it: every COPY from the project (not `--from`).
while read -r sources; do
  for source in $sources; do
    (cd "$project" && cp -a --parents "${source%/}" "$context/")
  done
done < <(sed -n 's/^COPY \([^-].*\) [^ ]*$/\1/p' "$project/Dockerfile")
echo "build context: $(cd "$context" && find . -maxdepth 2 -mindepth 1 | sort | tr '\n' ' ')"

cd "$context"
# As in the image: the folder's own target/, whatever the caller's CARGO_TARGET_DIR.
export CARGO_TARGET_DIR="$context/target"
build() { cargo build --profile image --locked --target "$target" --bin manager "$@"; }
# The Dockerfile's first RUN: dependencies, against stub sources.
mv src src.real
mkdir -p src/bin
echo 'fn main() {}' > src/main.rs
echo 'fn main() {}' > src/bin/crdgen.rs
touch src/lib.rs
build --quiet
rm -rf src
# The second RUN: the project's own sources.
mv src.real src
find src -name '*.rs' -exec touch {} +
build --quiet
manager="target/$target/image/manager"
if readelf -d "$manager" | grep -q NEEDED; then
  echo "error: the manager is dynamically linked:" >&2
  readelf -d "$manager" | grep NEEDED >&2
  exit 1
fi
"$manager" --version
echo "Dockerfile build steps passed in a clean folder ($(du -h "$manager" | cut -f1) manager)"
