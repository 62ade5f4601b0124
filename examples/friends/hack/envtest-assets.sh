#!/usr/bin/env bash
# envtest-assets.sh: gets the binaries that envtest needs (etcd, kube-apiserver, kubectl) into
# setup-envtest's store and prints their folder:
#   ${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest/k8s/<X.Y.Z>-<os>-<arch>/
#
# 1. A complete folder of the version already there: nothing to do.
# 2. Otherwise, the archive the envtest release index lists (the index setup-envtest reads) is
#    downloaded, checked against its SHA-512 and unpacked (curl, sha512sum or shasum, tar).
# 3. If that is impossible, they are built from Go modules (Go 1.26+; 10 to 20 minutes, once).
#
# The tests do all this by themselves (kube-envtest), so `make test` does not run this script:
# `make envtest` does, to fetch the binaries ahead of time or to point other tools at them.
# The last line on stdout is the folder (use it as KUBEBUILDER_ASSETS). Progress goes to stderr.
#
# Environment:
#   ENVTEST_K8S_VERSION     1.Y (its newest patch in the index) or 1.Y.Z; default 1.37. The Go
#                           build takes 1.37 as 1.37.2, and needs 1.Y.Z for other minors.
#   KUBE_ENVTEST_INDEX_URL  the index (http://, https:// or file://), default controller-tools'
#                           envtest-releases.yaml: set it to a mirror in the same format.
#   ENVTEST_NO_DOWNLOAD=1   skip step 2, build with Go
#   ENVTEST_ETCD_VERSION    etcd version for the Go build, default 3.7.3 for 1.37.x, 3.6.16
#                           for 1.36.x, else the ETCD_VERSION in that Kubernetes' hack/lib/etcd.sh
#   ENVTEST_FORCE=1         fetch or build again even if the folder already holds the binaries
#
# Usage: export KUBEBUILDER_ASSETS="$(hack/envtest-assets.sh | tail -n 1)" (`make envtest`)
set -euo pipefail

log() { printf 'envtest-assets: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

default_index=https://raw.githubusercontent.com/kubernetes-sigs/controller-tools/HEAD/envtest-releases.yaml
index_url=${KUBE_ENVTEST_INDEX_URL:-$default_index}

wanted=${ENVTEST_K8S_VERSION:-1.37}
wanted=${wanted#v}
wanted=${wanted%.x}
if [[ $wanted =~ ^1\.([0-9]+)$ ]]; then
  k8s_minor=${BASH_REMATCH[1]}
  k8s_patch=
elif [[ $wanted =~ ^1\.([0-9]+)\.([0-9]+)$ ]]; then
  k8s_minor=${BASH_REMATCH[1]}
  k8s_patch=${BASH_REMATCH[2]}
else
  die "ENVTEST_K8S_VERSION must look like 1.37, 1.37.x or 1.37.2, got '$wanted'"
fi

goos=$(uname -s | tr '[:upper:]' '[:lower:]')
case $(uname -m) in
  x86_64 | amd64) goarch=amd64 ;;
  aarch64 | arm64) goarch=arm64 ;;
  *) goarch=$(uname -m) ;;
esac
store=${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest

etcd_version=${ENVTEST_ETCD_VERSION:-}
etcd_version=${etcd_version#v}
etcd_pinned=${etcd_version:+1}
[[ -z $etcd_version || $etcd_version =~ ^3\.[0-9]+\.[0-9]+$ ]] \
  || die "ENVTEST_ETCD_VERSION must look like 3.Y.Z, got '$etcd_version'"

# ---- cache check -----------------------------------------------------------
is_complete() { # $1: folder, $2: Kubernetes version X.Y.Z
  local d=$1 b
  for b in etcd kube-apiserver kubectl; do
    [[ -f $d/$b && -x $d/$b ]] || return 1
  done
  [[ $("$d/kube-apiserver" --version 2>/dev/null) == "Kubernetes v$2" ]] || return 1
  "$d/kubectl" version --client >/dev/null 2>&1 || return 1
  local ev
  ev=$("$d/etcd" --version 2>/dev/null) || return 1
  # Only insist on an etcd version when one was asked for explicitly, so a folder
  # filled by setup-envtest itself is accepted as it is.
  if [[ -n $etcd_pinned ]]; then
    grep -qx "etcd Version: ${etcd_version}" <<<"$ev" || return 1
  fi
}

# The complete folder of the newest version wanted, if any.
installed() {
  local d v best= best_patch=-1
  for d in "$store/k8s/1.${k8s_minor}".*"-${goos}-${goarch}"; do
    v=${d##*/}
    v=${v%"-${goos}-${goarch}"}
    [[ $v =~ ^1\.[0-9]+\.([0-9]+)$ ]] || continue
    [[ -z $k8s_patch || ${BASH_REMATCH[1]} == "$k8s_patch" ]] || continue
    ((BASH_REMATCH[1] > best_patch)) || continue
    is_complete "$d" "$v" || continue
    best=$d best_patch=${BASH_REMATCH[1]}
  done
  [[ -n $best ]] && printf '%s\n' "$best"
}

if [[ ${ENVTEST_FORCE:-} != 1 ]] && found=$(installed); then
  log "up to date: Kubernetes binaries in $found"
  printf '%s\n' "$found"
  exit 0
fi

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

# Swaps the complete folder $out into place as $1: it appears whole or not at all.
install_folder() {
  if [[ -e $1 ]]; then
    mv "$1" "$stage_root/old"
  fi
  mv "$out" "$1"
  log "done: $1"
  printf '%s\n' "$1"
}

# ---- download ----------------------------------------------------------------
# Sets `why` and returns 1 when the download is impossible.
download() {
  local index sum_tool pick patch name hash link sum
  command -v curl >/dev/null 2>&1 || { why="curl is not installed"; return 1; }
  if command -v sha512sum >/dev/null 2>&1; then
    sum_tool=(sha512sum)
  elif command -v shasum >/dev/null 2>&1; then
    sum_tool=(shasum -a 512)
  else
    why="neither sha512sum nor shasum is installed"
    return 1
  fi
  index=$(curl -fsSL --connect-timeout 30 --max-time 120 "$index_url" 2>&1) \
    || { why="cannot read the envtest release index $index_url (${index##*curl: })"; return 1; }
  # Lines "patch name hash link" for this minor and platform, from the index's YAML:
  #   envtest-v1.37.2-linux-amd64.tar.gz:  then  hash: ...  and  selfLink: ...
  pick=$(awk -v minor="$k8s_minor" -v platform="-${goos}-${goarch}.tar.gz" '
    $1 ~ /^envtest-v[0-9.]+-.*\.tar\.gz:$/ { name = substr($1, 1, length($1) - 1); hash = ""; link = ""; next }
    $1 == "hash:" { hash = $2 }
    $1 == "selfLink:" { link = $2 }
    name != "" && hash != "" && link != "" {
      prefix = "envtest-v1." minor "."
      if (index(name, prefix) == 1 && substr(name, length(name) - length(platform) + 1) == platform) {
        patch = substr(name, length(prefix) + 1, length(name) - length(prefix) - length(platform))
        if (patch ~ /^[0-9]+$/) print patch, name, hash, link
      }
      name = ""
    }' <<<"$index" | { [[ -z $k8s_patch ]] && cat || awk -v p="$k8s_patch" '$1 == p'; } | sort -n | tail -n 1)
  if [[ -z $pick ]]; then
    why="the envtest release index $index_url has no Kubernetes 1.${k8s_minor}.${k8s_patch:-x} for ${goos}-${goarch}"
    return 1
  fi
  read -r patch name hash link <<<"$pick"
  dest=$store/k8s/1.${k8s_minor}.${patch}-${goos}-${goarch}
  log "downloading $name from $link into $dest"
  curl -fsSL --connect-timeout 30 --max-time 900 -o "$stage_root/$name" "$link" 2>"$stage_root/curl.err" \
    || { why="cannot download $link ($(tail -n 1 "$stage_root/curl.err"))"; return 1; }
  sum=$("${sum_tool[@]}" "$stage_root/$name" | cut -d' ' -f1)
  [[ $sum == "$hash" ]] \
    || { why="$name from $link does not have the SHA-512 the index $index_url gives"; return 1; }
  mkdir -p "$stage_root/unpacked"
  tar -xzf "$stage_root/$name" -C "$stage_root/unpacked" \
    || { why="cannot unpack $name"; return 1; }
  # setup-envtest's layout: the files alone, whatever folders the archive has.
  find "$stage_root/unpacked" -type f -exec mv {} "$out/" \;
  chmod 0555 "$out"/*
  is_complete "$out" "1.${k8s_minor}.${patch}" \
    || { why="$name does not hold Kubernetes 1.${k8s_minor}.${patch}'s etcd, kube-apiserver and kubectl"; return 1; }
}

if [[ ${ENVTEST_NO_DOWNLOAD:-} != 1 ]]; then
  if download; then
    install_folder "$dest"
    exit 0
  fi
  rm -rf "${out:?}"/* "$stage_root/unpacked"
  if ! command -v go >/dev/null 2>&1; then
    die "$why; and Go, the other way to get them, is not installed: make the index reachable (KUBE_ENVTEST_INDEX_URL), install Go 1.26+, or set KUBEBUILDER_ASSETS to a folder holding etcd, kube-apiserver and kubectl"
  fi
  log "$why; building the binaries from Go modules instead (once; 10 to 20 minutes)"
fi

# ---- build -----------------------------------------------------------------
command -v go >/dev/null 2>&1 \
  || die "Go is required to build envtest binaries; install Go 1.26+ or set KUBEBUILDER_ASSETS to a folder holding etcd, kube-apiserver and kubectl"
if [[ -z $k8s_patch ]]; then
  [[ $k8s_minor == 37 ]] \
    || die "the Go build needs a full version: set ENVTEST_K8S_VERSION to 1.${k8s_minor}.Z"
  k8s_patch=2
fi
k8s_version=1.${k8s_minor}.${k8s_patch}
staging_version="v0.${k8s_minor}.${k8s_patch}" # k8s.io/api etc. for v1.Y.Z
if [[ -z $etcd_version ]]; then
  case $k8s_minor in
    37) etcd_version=3.7.3 ;;
    36) etcd_version=3.6.16 ;;
  esac
fi
dest=$store/k8s/${k8s_version}-${goos}-${goarch}

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
is_complete "$out" "$k8s_version" || die "the new binaries do not report Kubernetes v${k8s_version} / etcd ${etcd_version}"
install_folder "$dest"
