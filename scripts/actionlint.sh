#!/usr/bin/env bash
# Builds actionlint (once) from the Go module proxy and prints the binary's path last, for the
# check of the generated projects' GitHub workflows in scripts/test.sh. Progress goes to stderr.
#
# Environment:
#   ACTIONLINT_VERSION   default 1.7.12
#   ACTIONLINT_CACHE     where the binary is kept, default ${XDG_CACHE_HOME:-$HOME/.cache}/cargo-operator/actionlint-v<version>
set -euo pipefail

version=${ACTIONLINT_VERSION:-1.7.12}
version=${version#v}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "error: ACTIONLINT_VERSION must look like 1.Y.Z, got '$version'" >&2; exit 1; }
dest=${ACTIONLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cargo-operator/actionlint-v$version}
actionlint=$dest/actionlint

if [[ -x $actionlint ]] && "$actionlint" -version 2>/dev/null | head -n 1 | grep -qx "v\?$version"; then
  echo "$actionlint"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "error: Go is needed to build actionlint $version; install Go, or put an actionlint binary at $actionlint" >&2; exit 1; }

echo "actionlint.sh: building actionlint v$version from Go modules into $dest (once)" >&2
mkdir -p "$dest"
# actionlint prints its version from a variable set at link time; `go install` leaves it unset.
GOBIN="$dest" CGO_ENABLED=0 go install \
  -ldflags "-X github.com/rhysd/actionlint.version=v$version" \
  "github.com/rhysd/actionlint/cmd/actionlint@v$version" >&2
"$actionlint" -version | head -n 1 | grep -qx "v$version" \
  || { echo "error: the actionlint built in $dest does not report version v$version" >&2; exit 1; }
echo "$actionlint"
