#!/usr/bin/env bash
# Wall time of `init` and `create api` (the article's commands), as the median of N runs each.
# Usage: scripts/bench-scaffold.sh [N]   (default 20). Builds the release binary first.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --locked --release --quiet --bin cargo-operator
cli="$PWD/target/release/cargo-operator"
# `cargo operator …` runs the binary with CARGO set to the toolchain's cargo; do the same, without
# counting cargo's own start-up, which is not ours to measure.
CARGO=$(rustup which cargo)
export CARGO
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ns() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m / 1e6 }'; }

init_times=() create_times=()
for i in $(seq "$runs"); do
  dir="$work/run$i/tutorial"
  mkdir -p "$dir"
  cd "$dir"
  start=$(now_ns)
  "$cli" operator init --domain my.domain --repo my.domain/tutorial >/dev/null
  middle=$(now_ns)
  "$cli" operator create api --group tutorial --version v1 --kind Foo >/dev/null
  end=$(now_ns)
  init_times+=($((middle - start)))
  create_times+=($((end - middle)))
done
cd - >/dev/null
printf 'runs: %s on %s cores\n' "$runs" "$(nproc)"
printf 'init:       median %s ms\n' "$(printf '%s\n' "${init_times[@]}" | median)"
printf 'create api: median %s ms\n' "$(printf '%s\n' "${create_times[@]}" | median)"
