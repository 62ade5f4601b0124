#!/usr/bin/env bash
# envtest-assets.sh: build the binaries that envtest needs (etcd, kube-apiserver,
# kubectl) from Go modules. No release downloads: only the Go module proxy.
#
# The binaries go into setup-envtest's store layout:
#   ${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest/k8s/<X.Y.Z>-<os>-<arch>/
# The last line on stdout is that folder (use it as KUBEBUILDER_ASSETS).
# Progress messages go to stderr.
#
# Environment:
#   ENVTEST_K8S_VERSION   Kubernetes version, default 1.37.2 (k8s-openapi 0.29 `latest`)
#   ENVTEST_ETCD_VERSION  etcd version, default 3.7.3 for 1.37.x, 3.6.16 for 1.36.x,
#                         else the ETCD_VERSION in that Kubernetes' hack/lib/etcd.sh
#   ENVTEST_FORCE=1       rebuild even if the folder already holds the right binaries
#
# Usage: export KUBEBUILDER_ASSETS="$(hack/envtest-assets.sh | tail -n 1)" (`make test` does it)
set -euo pipefail

log() { printf 'envtest-assets: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

if ! command -v go >/dev/null 2>&1; then
  die "Go is required to build envtest binaries; install Go 1.26+ or set KUBEBUILDER_ASSETS to a folder holding etcd, kube-apiserver and kubectl"
fi

k8s_version=${ENVTEST_K8S_VERSION:-1.37.2}
k8s_version=${k8s_version#v}
[[ $k8s_version =~ ^1\.([0-9]+)\.([0-9]+)$ ]] \
  || die "ENVTEST_K8S_VERSION must look like 1.Y.Z, got '$k8s_version'"
k8s_minor=${BASH_REMATCH[1]}
staging_version="v0.${k8s_minor}.${BASH_REMATCH[2]}" # k8s.io/api etc. for v1.Y.Z

etcd_version=${ENVTEST_ETCD_VERSION:-}
etcd_version=${etcd_version#v}
etcd_pinned=${etcd_version:+1}
if [[ -z $etcd_version ]]; then
  case $k8s_minor in
    37) etcd_version=3.7.3 ;;
    36) etcd_version=3.6.16 ;;
  esac
fi
[[ -z $etcd_version || $etcd_version =~ ^3\.[0-9]+\.[0-9]+$ ]] \
  || die "ENVTEST_ETCD_VERSION must look like 3.Y.Z, got '$etcd_version'"

goos=$(go env GOOS)
goarch=$(go env GOARCH)
store=${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest
dest=$store/k8s/${k8s_version}-${goos}-${goarch}

# ---- cache check -----------------------------------------------------------
is_complete() { # $1: folder
  local d=$1 b
  for b in etcd kube-apiserver kubectl; do
    [[ -f $d/$b && -x $d/$b ]] || return 1
  done
  [[ $("$d/kube-apiserver" --version 2>/dev/null) == "Kubernetes v${k8s_version}" ]] || return 1
  "$d/kubectl" version --client >/dev/null 2>&1 || return 1
  local ev
  ev=$("$d/etcd" --version 2>/dev/null) || return 1
  # Only insist on an etcd version when one was asked for explicitly, so a folder
  # filled by setup-envtest itself is accepted as it is.
  if [[ -n $etcd_pinned ]]; then
    grep -qx "etcd Version: ${etcd_version}" <<<"$ev" || return 1
  fi
}

if [[ ${ENVTEST_FORCE:-} != 1 ]] && is_complete "$dest"; then
  log "up to date: Kubernetes v${k8s_version} binaries in $dest"
  printf '%s\n' "$dest"
  exit 0
fi

# ---- build -----------------------------------------------------------------
mkdir -p "$store/k8s"
# Stage on the same filesystem as the store so the final move is a rename; the
# dot-name keeps it out of setup-envtest's k8s/ listing.
stage_root=$(mktemp -d "$store/.envtest-assets-build.XXXXXX")
cleanup() { rm -rf "$stage_root"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
out=$stage_root/bin
mkdir -p "$out"

export CGO_ENABLED=0
# Builds share the default module and build caches on purpose.
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

# download MODULE@VERSION and print the path of its go.mod; fail with one line
# when the proxy does not have it.
download_gomod() {
  local modver=$1 json err
  if ! json=$(go mod download -json "$modver" 2>/dev/null); then
    err=$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$json" | head -n 1)
    [[ -n $err ]] || err=$(go mod download "$modver" 2>&1 | head -n 1) || true
    err=${err%%\\n*}
    die "cannot get $modver from the Go module proxy ($(go env GOPROXY)): ${err:-unknown error}"
  fi
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$json"
}

# Modules that a go.mod replaces with local folders (k8s staging, etcd's own modules).
local_replacements() { # $1: go.mod
  sed 's://.*$::' "$1" | awk '
    /^replace[ \t]*\(/ { blk = 1; next }
    blk && /^[ \t]*\)/ { blk = 0; next }
    blk { print; next }
    /^replace[ \t]/ { sub(/^replace[ \t]+/, ""); print }
  ' | awk '{ for (i = 1; i < NF; i++) if ($i == "=>" && $(i + 1) ~ /^\.\.?\//) print $1 }' | sort -u
}

# Throwaway module that requires MODULE@VERSION and swaps each of its local
# replacements for the published module at REPLVERSION.
make_wrapper() { # $1 dir, $2 module, $3 version, $4 go.mod of module, $5 replacement version
  local dir=$1 mod=$2 ver=$3 gomod=$4 repl=$5 gover m
  gover=$(awk '$1 == "go" { print $2; exit }' "$gomod")
  mkdir -p "$dir"
  {
    echo "module envtest-assets/wrapper"
    echo
    [[ -z $gover ]] || echo "go $gover"
    echo
    echo "require $mod $ver"
    echo
    echo "replace ("
    while read -r m; do
      [[ -n $m ]] && echo "	$m => $m $repl"
    done < <(local_replacements "$gomod")
    echo ")"
  } >"$dir/go.mod"
}

build() { # $1 wrapper dir, $2 output name, $3 package, $4 ldflags
  local start=$SECONDS
  log "building $2 from $3 (nice -n 19; this can take many minutes)"
  (cd "$1" && nice -n 19 go build -trimpath -ldflags "$4" -o "$out/$2" "$3") \
    || die "go build of $3 failed (see the messages above)"
  log "built $2 in $((SECONDS - start))s"
}

log "Kubernetes v${k8s_version} for ${goos}/${goarch} -> $dest"
k8s_gomod=$(download_gomod "k8s.io/kubernetes@v${k8s_version}")
if [[ -z $etcd_version ]]; then
  k8s_dir=$(go mod download -json "k8s.io/kubernetes@v${k8s_version}" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  # shellcheck disable=SC2016 # a literal ${ETCD_VERSION:-x.y.z} in etcd.sh
  etcd_version=$(sed -n 's/^ETCD_VERSION=\${ETCD_VERSION:-\([0-9.]*\)}.*/\1/p' \
    "$k8s_dir/hack/lib/etcd.sh" 2>/dev/null | head -n 1)
  [[ -n $etcd_version ]] || die "no etcd version known for Kubernetes v${k8s_version}; set ENVTEST_ETCD_VERSION"
fi
etcd_gomod=$(download_gomod "go.etcd.io/etcd/server/v3@v${etcd_version}")
log "etcd v${etcd_version}"

# etcd: the etcd binary's main package is go.etcd.io/etcd/server/v3 (server/main.go).
make_wrapper "$stage_root/etcd" go.etcd.io/etcd/server/v3 "v${etcd_version}" "$etcd_gomod" "v${etcd_version}"
build "$stage_root/etcd" etcd go.etcd.io/etcd/server/v3 "-s -w"

# Kubernetes: version stamps as hack/lib/version.sh sets them, otherwise the
# binaries report v0.0.0. The module zip has no git commit: leave gitCommit empty
# (instead of the "$Format:%H$" placeholder) and call the tree "archive" as
# hack/lib/version.sh does for source archives.
make_wrapper "$stage_root/kube" k8s.io/kubernetes "v${k8s_version}" "$k8s_gomod" "$staging_version"
build_date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "${k8s_gomod%.mod}.info" 2>/dev/null)
ld="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld+=" -X $pkg.gitVersion=v${k8s_version} -X $pkg.gitMajor=1 -X $pkg.gitMinor=${k8s_minor}"
  ld+=" -X $pkg.buildDate=${build_date:-1970-01-01T00:00:00Z} -X $pkg.gitCommit= -X $pkg.gitTreeState=archive"
done
build "$stage_root/kube" kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ld"
build "$stage_root/kube" kubectl k8s.io/kubernetes/cmd/kubectl "$ld"

etcd_pinned=1
is_complete "$out" || die "the new binaries do not report Kubernetes v${k8s_version} / etcd ${etcd_version}"

# Swap into place: the folder appears complete or not at all.
if [[ -e $dest ]]; then
  mv "$dest" "$stage_root/old"
fi
mv "$out" "$dest"
log "done: $dest"
printf '%s\n' "$dest"
