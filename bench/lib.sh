# shellcheck shell=bash
# Shared by run.sh and anchors.sh: where the benchmark keeps its tools, and how it gets them.
# Everything installed here goes under bench/.cache (git-ignored).

# Used by the scripts that source this file.
# shellcheck disable=SC2034
KUBEBUILDER_VERSION=v4.16.0
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034
REPO_DIR=$(dirname "$BENCH_DIR")
CACHE_DIR="$BENCH_DIR/.cache"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Prints the path of a kubebuilder binary of KUBEBUILDER_VERSION, building it from its Go
# module the first time.
ensure_kubebuilder() {
  local bin="$CACHE_DIR/bin/kubebuilder"
  if ! "$bin" version 2>/dev/null | grep -q "KubeBuilder: *$KUBEBUILDER_VERSION"; then
    log "building kubebuilder $KUBEBUILDER_VERSION"
    mkdir -p "$CACHE_DIR/bin"
    GOBIN="$CACHE_DIR/bin" go install "sigs.k8s.io/kubebuilder/v4@$KUBEBUILDER_VERSION" >&2
  fi
  echo "$bin"
}
