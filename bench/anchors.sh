#!/usr/bin/env bash
# (Re)creates the Go anchors of the benchmark, bench/go-article and bench/go-best, so that each
# is exactly what Kubebuilder scaffolds for the article's commands plus two edited files:
#
#   kubebuilder init --domain my.domain --repo my.domain/tutorial
#   kubebuilder create api --group tutorial --version v1 --kind Foo --resource --controller
#   <copy the committed api/v1/foo_types.go and internal/controller/foo_controller.go>
#   go mod tidy && make generate manifests
#
# Run it after changing one of the edited files or KUBEBUILDER_VERSION (bench/lib.sh), then
# review `git diff bench/go-*`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

EDITED_FILES=(api/v1/foo_types.go internal/controller/foo_controller.go)

kubebuilder=$(ensure_kubebuilder)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for anchor in go-article go-best; do
  log "scaffolding $anchor"
  project="$work/$anchor"
  mkdir "$project"
  (
    cd "$project"
    "$kubebuilder" init --domain my.domain --repo my.domain/tutorial
    "$kubebuilder" create api --group tutorial --version v1 --kind Foo --resource --controller
    for file in "${EDITED_FILES[@]}"; do
      cp "$BENCH_DIR/$anchor/$file" "$file"
    done
    go mod tidy
    make generate manifests
    # Tools installed by the Makefile; git-ignored anyway, but not part of the scaffold.
    rm -rf bin
    # Kubebuilder's guide for coding assistants: nothing the benchmark builds or runs.
    rm -f AGENTS.md
  ) >"$work/$anchor.log" 2>&1 || { tail -n 30 "$work/$anchor.log" >&2; exit 1; }
  rm -rf "${BENCH_DIR:?}/$anchor"
  mv "$project" "$BENCH_DIR/$anchor"
done
log "done: review git diff $BENCH_DIR/go-article $BENCH_DIR/go-best"
