#!/usr/bin/env bash
# Builds cargo-deny (once) with `cargo install --locked` and prints the binary's path last, for
# the check of a generated project's deny.toml in scripts/test.sh. Progress goes to stderr.
#
# Environment:
#   CARGO_DENY_VERSION   default 0.20.2
#   CARGO_DENY_CACHE     where it is installed, default ${XDG_CACHE_HOME:-$HOME/.cache}/cargo-operator/cargo-deny-v<version>
set -euo pipefail

version=${CARGO_DENY_VERSION:-0.20.2}
version=${version#v}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "error: CARGO_DENY_VERSION must look like 0.Y.Z, got '$version'" >&2; exit 1; }
dest=${CARGO_DENY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cargo-operator/cargo-deny-v$version}
deny=$dest/bin/cargo-deny

if [[ -x $deny ]] && "$deny" --version 2>/dev/null | grep -qx "cargo-deny $version"; then
  echo "$deny"
  exit 0
fi

echo "cargo-deny.sh: building cargo-deny $version into $dest (once, about two minutes)" >&2
# Its own target folder, removed afterwards: nothing of it is shared with the projects' builds.
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
CARGO_INCREMENTAL=0 cargo install --quiet --locked --root "$dest" --target-dir "$build" \
  "cargo-deny@$version" >&2
"$deny" --version | grep -qx "cargo-deny $version" \
  || { echo "error: the cargo-deny installed in $dest does not report version $version" >&2; exit 1; }
echo "$deny"
