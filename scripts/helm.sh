#!/usr/bin/env bash
# Builds helm (once) from the Go module proxy and prints the binary's path last, for the chart
# checks in scripts/test.sh. Progress goes to stderr.
#
# Environment:
#   HELM_VERSION   default 3.22.0
#   HELM_CACHE     where the binary is kept, default ${XDG_CACHE_HOME:-$HOME/.cache}/cargo-operator/helm-v<version>
set -euo pipefail

version=${HELM_VERSION:-3.22.0}
version=${version#v}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "error: HELM_VERSION must look like 3.Y.Z, got '$version'" >&2; exit 1; }
dest=${HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cargo-operator/helm-v$version}
helm=$dest/helm

if [[ -x $helm ]] && "$helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "v$version"; then
  echo "$helm"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "error: Go is needed to build helm $version; install Go, or put a helm binary at $helm" >&2; exit 1; }

echo "helm.sh: building helm v$version from Go modules into $dest (once)" >&2
mkdir -p "$dest"
# helm prints its version from a variable set at link time; `go install` leaves it unset.
GOBIN="$dest" CGO_ENABLED=0 go install \
  -ldflags "-X helm.sh/helm/v3/internal/version.version=v$version" \
  "helm.sh/helm/v3/cmd/helm@v$version" >&2
"$helm" version --template '{{.Version}}' | grep -qx "v$version" \
  || { echo "error: the helm built in $dest does not report version v$version" >&2; exit 1; }
echo "$helm"
