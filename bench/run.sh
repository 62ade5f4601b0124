#!/usr/bin/env bash
# The cargo-operator benchmark: the generated Rust operator (examples/tutorial) against the
# article's Kubebuilder operator (bench/go-article) and a best-practice Go variant
# (bench/go-best, 16 workers as the Rust operator has; go-best-1: the same with one worker),
# on the same workload, each on a fresh envtest API server; and the floor: the driver making
# the operator's writes itself.
#
# Usage: bench/run.sh [--quick] [--sizes "100 1000 10000 30000"] [--reps "5 3 1 1"]
#                     [--operators "rust go-best go-best-1 go-article floor"] [--no-build-times]
#                     [--timeout 1200] [--docs | --no-docs]
#   --quick    100 Foos/100 Pods only, 3 runs each, no build timings; the report stays in the
#              results folder unless --docs is given.
#   --sizes    N (= M) values to run; --reps: runs per size, in the same order.
#   --operators  which operators to run (all by default), e.g. "rust" while tuning it.
#   --no-build-times   skip the cold and incremental builds (several minutes, a few GiB).
#   --timeout  longest wait, in seconds, for an operator to converge in one phase (1200): the
#              article's operator needs about 600 at 10,000 (see docs/benchmarks.md).
#   --docs / --no-docs   write (or not) docs/benchmarks.md and docs/benchmarks.png.
#
# Builds and installs what it needs (Kubebuilder, the Go anchors, the Rust manager, the load
# driver, a Python venv for the plot) under git-ignored folders, and writes every raw result
# to bench/results/<timestamp>/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# As typed: an argument with spaces (--sizes "1000 10000") is quoted, so the report's line pastes.
invocation="bench/run.sh"
for arg in "$@"; do
  if [[ "$arg" == *" "* ]]; then invocation+=" \"$arg\""; else invocation+=" $arg"; fi
done
quick=false
build_times=true
phase_timeout=1200
sizes="100 1000 10000 30000"
reps="5 3 1 1"
all_operators="rust go-best go-best-1 go-article floor"
operators=$all_operators
docs=""
while (($#)); do
  case "$1" in
    --quick) quick=true build_times=false sizes="100" reps="3" ;;
    --no-build-times) build_times=false ;;
    --sizes) sizes="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --operators) operators="$2"; shift ;;
    --timeout) phase_timeout="$2"; shift ;;
    --docs) docs=true ;;
    --no-docs) docs=false ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for label in $operators; do
  case "$label" in
    rust | go-best | go-best-1 | go-article | floor) ;;
    *) echo "unknown operator: $label (one of: $all_operators)" >&2; exit 2 ;;
  esac
done
# By default only a full run of all of them replaces the committed report.
if [[ -z "$docs" ]]; then
  if $quick || [[ "$operators" != "$all_operators" ]]; then docs=false; else docs=true; fi
fi
read -ra size_list <<<"$sizes"
read -ra rep_list <<<"$reps"
((${#size_list[@]} == ${#rep_list[@]})) || { echo "--sizes and --reps differ in length" >&2; exit 2; }

# Builds go to their own target folders: the main repository's target/ may be locked by
# another build, and a shared folder would make the timed cold builds warm.
TARGET_DIR=${BENCH_TARGET_DIR:-$CACHE_DIR/target}
RESULTS="$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RESULTS/runs" "$CACHE_DIR"
started=$SECONDS
log "results in $RESULTS"

for tool in go cargo python3; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done

# --- Tools and binaries -----------------------------------------------------------------

assets=$(bash "$REPO_DIR/scripts/envtest-assets.sh" | tail -n1)
log "envtest binaries: $assets"
kubebuilder=$(ensure_kubebuilder)

log "building the load driver"
(cd "$BENCH_DIR/driver" && CARGO_TARGET_DIR="$TARGET_DIR/driver" cargo build --release --locked --quiet)
driver="$TARGET_DIR/driver/release/bench-driver"

# Built from the working tree at every run, so template changes regenerated into the example
# are what gets measured (its vendor/ holds the working tree's runtime crates).
log "building the Rust manager (examples/tutorial, the image's profile)"
# vendor/ is written by the CLI, not committed: a fresh clone regenerates the example first.
[ -d "$REPO_DIR/examples/tutorial/vendor" ] || "$REPO_DIR/scripts/regenerate-example.sh"
(cd "$REPO_DIR/examples/tutorial" && CARGO_TARGET_DIR="$TARGET_DIR/tutorial" cargo build --profile image --locked --quiet --bin manager)
rust_manager="$TARGET_DIR/tutorial/image/manager"
# A copy of each CRD as built: examples/ may be regenerated while the benchmark runs.
mkdir -p "$RESULTS/crds"
cp -r "$REPO_DIR/examples/tutorial/config/crd/bases" "$RESULTS/crds/rust"

for anchor in go-article go-best; do
  log "building $anchor"
  (cd "$BENCH_DIR/$anchor" && go build -o "$CACHE_DIR/$anchor/manager" ./cmd)
  cp -r "$BENCH_DIR/$anchor/config/crd/bases" "$RESULTS/crds/$anchor"
done

# --- Machine --------------------------------------------------------------------------

cat >"$RESULTS/machine.json" <<EOF
{
  "nproc": $(nproc),
  "memory_gib": $(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo),
  "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')",
  "kernel": "$(uname -r)",
  "go": "$(go env GOVERSION)",
  "rustc": "$(rustc --version)",
  "kubebuilder": "$KUBEBUILDER_VERSION",
  "envtest": "$(basename "$assets")",
  "command": $(python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$invocation"),
  "quick": $quick
}
EOF

# --- Scaffolding ------------------------------------------------------------------------

now_ms() { date +%s%3N; }

log "building cargo-operator (release)"
(cd "$REPO_DIR" && CARGO_TARGET_DIR="$TARGET_DIR/cli" cargo build --release --locked --quiet --bin cargo-operator)
cli="$TARGET_DIR/cli/release/cargo-operator"
# `cargo operator` runs the binary with CARGO set; do the same without timing cargo itself.
CARGO=$(command -v cargo)
export CARGO

scaffold_runs=$($quick && echo 1 || echo 3)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
: >"$RESULTS/scaffold.tsv"
for run in $(seq "$scaffold_runs"); do
  for _ in 1 2 3 4 5; do
    dir="$scratch/rust-$run-$RANDOM/tutorial"
    mkdir -p "$dir"
    start=$(now_ms)
    (cd "$dir" && "$cli" operator init --domain my.domain --repo my.domain/tutorial &&
      "$cli" operator create api --group tutorial --version v1 --kind Foo) >/dev/null
    printf 'cargo-operator\t%s\n' $(($(now_ms) - start)) >>"$RESULTS/scaffold.tsv"
  done
  # Kubebuilder runs `go mod tidy` in init and `make generate` (controller-gen, installed
  # into the project's bin/ from the warm module cache) in create api.
  dir="$scratch/go-$run/tutorial"
  mkdir -p "$dir"
  start=$(now_ms)
  (cd "$dir" && "$kubebuilder" init --domain my.domain --repo my.domain/tutorial &&
    "$kubebuilder" create api --group tutorial --version v1 --kind Foo --resource --controller) >/dev/null 2>&1
  printf 'kubebuilder\t%s\n' $(($(now_ms) - start)) >>"$RESULTS/scaffold.tsv"
  log "scaffold run $run done"
done

# --- Build times and binary sizes -------------------------------------------------------

: >"$RESULTS/build.tsv"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS/build.tsv"; }
size_of() { stat -c %s "$1"; }

record rust binary_bytes "$(size_of "$rust_manager")"
go_plain="$scratch/go-plain" go_stripped="$scratch/go-stripped"
(cd "$BENCH_DIR/go-article" && go build -o "$go_plain" ./cmd && go build -ldflags="-s -w" -o "$go_stripped" ./cmd)
record go-article binary_bytes "$(size_of "$go_plain")"
record go-article binary_bytes_stripped "$(size_of "$go_stripped")"

if $build_times; then
  # Copies, so that the one-line change never touches the committed projects. The example
  # stands alone: its vendor/ comes along.
  rust_copy="$scratch/tutorial"
  mkdir "$rust_copy"
  # Without its target/ folder, which can be many GiB.
  (cd "$REPO_DIR/examples/tutorial" && tar -c --exclude=./target .) | (cd "$rust_copy" && tar -x)
  log "cold Rust release build (empty target folder)"
  start=$(now_ms)
  (cd "$rust_copy" && CARGO_TARGET_DIR="$scratch/rust-target" cargo build --release --locked --quiet --bin manager)
  record rust cold_build_ms $(($(now_ms) - start))
  sed -i 's/"status updated"/"status updated!"/' "$rust_copy/src/controllers/foo.rs"
  start=$(now_ms)
  (cd "$rust_copy" && CARGO_TARGET_DIR="$scratch/rust-target" cargo build --release --locked --quiet --bin manager)
  record rust incremental_build_ms $(($(now_ms) - start))
  rm -rf "$scratch/rust-target"
  # The debug build of `cargo build`, `cargo test` and `make run`, in a fresh target folder.
  log "cold Rust debug build (empty target folder)"
  start=$(now_ms)
  (cd "$rust_copy" && CARGO_TARGET_DIR="$scratch/rust-target" cargo build --locked --quiet --bin manager)
  record rust cold_debug_build_ms $(($(now_ms) - start))
  sed -i 's/"status updated!"/"status updated!!"/' "$rust_copy/src/controllers/foo.rs"
  start=$(now_ms)
  (cd "$rust_copy" && CARGO_TARGET_DIR="$scratch/rust-target" cargo build --locked --quiet --bin manager)
  record rust incremental_debug_build_ms $(($(now_ms) - start))
  # The disk may be small: the Go build cache needs the room.
  rm -rf "$scratch/rust-target"

  go_copy="$scratch/go-article"
  mkdir "$go_copy"
  (cd "$BENCH_DIR/go-article" && tar -c --exclude=./bin .) | (cd "$go_copy" && tar -x)
  log "cold Go build (empty GOCACHE, warm module cache)"
  start=$(now_ms)
  (cd "$go_copy" && GOCACHE="$scratch/gocache" go build -o manager ./cmd)
  record go-article cold_build_ms $(($(now_ms) - start))
  sed -i "s/\"foo custom resource reconciled\"/\"foo custom resource reconciled!\"/" "$go_copy/internal/controller/foo_controller.go"
  start=$(now_ms)
  (cd "$go_copy" && GOCACHE="$scratch/gocache" go build -o manager ./cmd)
  record go-article incremental_build_ms $(($(now_ms) - start))
  rm -rf "$scratch/gocache"

  # Where users wait most: their own tests. The generated project's `make test` (cargo test:
  # unit tests and tests/integration/ against kube-envtest) against the test step of Kubebuilder's
  # `make test` (go test with envtest, its scaffolded suite), on the same envtest binaries.
  # Cold: empty target folder / GOCACHE. Edited: after a one-line change in the controller,
  # the loop a developer repeats (Go's test cache cannot answer it either).
  log "Rust tests: cold, then after one-line changes"
  start=$(now_ms)
  (cd "$rust_copy" && CARGO_TARGET_DIR="$scratch/rust-target" KUBEBUILDER_ASSETS="$assets" \
    cargo test --locked --quiet) >"$RESULTS/rust-test.log" 2>&1
  record rust cold_test_ms $(($(now_ms) - start))
  for edit in 1 2 3; do
    sed -i "s/\"status updated[ 0-9!]*\"/\"status updated $edit\"/" "$rust_copy/src/controllers/foo.rs"
    start=$(now_ms)
    (cd "$rust_copy" && CARGO_TARGET_DIR="$scratch/rust-target" KUBEBUILDER_ASSETS="$assets" \
      cargo test --locked --quiet) >>"$RESULTS/rust-test.log" 2>&1
    record rust edited_test_ms $(($(now_ms) - start))
  done
  rm -rf "$scratch/rust-target"

  go_tests="$scratch/go-best"
  mkdir "$go_tests"
  (cd "$BENCH_DIR/go-best" && tar -c --exclude=./bin .) | (cd "$go_tests" && tar -x)
  go_test() {
    (cd "$go_tests" && GOCACHE="$scratch/gocache" KUBEBUILDER_ASSETS="$assets" \
      go test $(go list ./... | grep -v /e2e) -coverprofile cover.out) >>"$RESULTS/go-test.log" 2>&1
  }
  log "Go tests: cold, then after one-line changes"
  start=$(now_ms)
  go_test
  record go-best cold_test_ms $(($(now_ms) - start))
  for edit in 1 2 3; do
    sed -i "s/\"status updated[ 0-9]*\"/\"status updated $edit\"/" "$go_tests/internal/controller/foo_controller.go"
    start=$(now_ms)
    go_test
    record go-best edited_test_ms $(($(now_ms) - start))
  done
  rm -rf "$scratch/gocache"
fi

# --- Operators under load ---------------------------------------------------------------

# One driver run of one operator; the driver appends the metrics and probe addresses.
run_operator() {
  local label=$1 size=$2 rep=$3
  local command=() crd=$label
  case "$label" in
    # Both scaffolds serve metrics over HTTPS with authn/authz by default; plain HTTP on
    # loopback for both, so that neither pays for TokenReviews while the driver samples.
    rust) command=(-- "$rust_manager" --metrics-secure=false) ;;
    go-best-1) command=(-- env FOO_MAX_CONCURRENT_RECONCILES=1 "$CACHE_DIR/go-best/manager" --metrics-secure=false)
      crd=go-best ;;
    go-*) command=(-- "$CACHE_DIR/$label/manager" --metrics-secure=false) ;;
    floor) command=(--floor) crd=rust ;;
  esac
  local workdir="$RESULTS/runs/$label-$size-$rep"
  log "run $rep: $label with $size Foos and $size Pods"
  mkdir -p "$workdir"
  if ! "$driver" --label "$label" --crd "$RESULTS/crds/$crd" --foos "$size" --pods "$size" \
    --timeout "$phase_timeout" --workdir "$workdir" --assets "$assets" "${command[@]}" \
    2> >(tee "$workdir/driver.log" >&2) >&2; then
    log "FAILED: $label $size run $rep; logs in $workdir"
    echo "{\"label\": \"$label\", \"foos\": $size, \"pods\": $size, \"failed\": true}" >"$workdir/result.json"
  fi
}

for i in "${!size_list[@]}"; do
  size=${size_list[$i]}
  # Interleaved, so that noise from the shared machine spreads over all the operators.
  for rep in $(seq "${rep_list[$i]}"); do
    for label in $operators; do
      run_operator "$label" "$size" "$rep"
    done
  done
done

# --- Report ---------------------------------------------------------------------------

echo $((SECONDS - started)) >"$RESULTS/seconds"

if [[ ! -x "$BENCH_DIR/.venv/bin/python" ]] || ! "$BENCH_DIR/.venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
  log "creating the Python venv for the plot"
  python3 -m venv "$BENCH_DIR/.venv"
  "$BENCH_DIR/.venv/bin/pip" install --quiet 'matplotlib>=3.8,<4'
fi
out="$RESULTS"
$docs && out="$REPO_DIR/docs"
"$BENCH_DIR/.venv/bin/python" "$BENCH_DIR/report.py" "$RESULTS" "$out"
log "done in $((SECONDS - started)) s: $out/benchmarks.md"
