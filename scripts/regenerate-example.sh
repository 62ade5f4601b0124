#!/usr/bin/env bash
# Regenerates examples/tutorial in place with the article's commands and a Helm chart
# (`edit --helm`, which writes the manifests with the project's crdgen), then `make manifests`.
# Cargo.lock and target/ survive, so the example builds with the same dependency versions. `init`
# run from this checkout points the example's kube-envtest at this repository's copy.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
example="$root/examples/tutorial"

cargo build --locked --quiet --bin cargo-operator
cli="${CARGO_TARGET_DIR:-$root/target}/debug/cargo-operator"

mkdir -p "$example"
find "$example" -mindepth 1 -maxdepth 1 ! -name Cargo.lock ! -name target -exec rm -rf {} +

# A fixed date keeps the copyright year, and so the committed files, stable.
export SOURCE_DATE_EPOCH=1767225600
cd "$example"
"$cli" operator init --domain my.domain --repo my.domain/tutorial >/dev/null
"$cli" operator create api --group tutorial --version v1 --kind Foo --resource --controller >/dev/null
"$cli" operator edit --helm >/dev/null
make --no-print-directory manifests >/dev/null
echo "regenerated examples/tutorial"
