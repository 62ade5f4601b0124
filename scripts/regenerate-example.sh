#!/usr/bin/env bash
# Regenerates the committed examples in place:
# - examples/tutorial: the article's commands and a Helm chart (`edit --helm`, which writes the
#   manifests with the project's crdgen), then `make manifests`;
# - examples/friends: the article's Foo in two versions, with defaulting, validating and
#   conversion webhooks, then the code its user writes (examples/friends.patch, applied to the
#   scaffold), then `make manifests`;
# - examples/cronjob: Kubebuilder's book's CronJob tutorial and its multiversion chapter (their
#   commands, then the code its user writes, examples/cronjob.patch), then `make manifests`.
# Cargo.lock and target/ survive, so each example builds with the same dependency versions.
# `init` run from this checkout points the examples' runtime crates at this repository's copy.
#
# Usage: scripts/regenerate-example.sh [tutorial|friends|cronjob]...   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

cargo build --locked --quiet --bin cargo-operator
cli="${CARGO_TARGET_DIR:-$root/target}/debug/cargo-operator"
# A fixed date keeps the copyright year, and so the committed files, stable.
export SOURCE_DATE_EPOCH=1767225600

# Empties examples/$1 but for Cargo.lock and target/, and enters it.
fresh() {
  mkdir -p "$root/examples/$1"
  find "$root/examples/$1" -mindepth 1 -maxdepth 1 ! -name Cargo.lock ! -name target -exec rm -rf {} +
  cd "$root/examples/$1"
}

tutorial() {
  fresh tutorial
  "$cli" operator init --domain my.domain --repo my.domain/tutorial >/dev/null
  "$cli" operator create api --group tutorial --version v1 --kind Foo --resource --controller >/dev/null
  "$cli" operator edit --helm >/dev/null
  make --no-print-directory manifests >/dev/null
}

friends() {
  fresh friends
  # A new example starts from the tutorial's dependency versions.
  [ -f Cargo.lock ] || cp "$root/examples/tutorial/Cargo.lock" .
  "$cli" operator init --domain my.domain --repo my.domain/friends >/dev/null
  "$cli" operator create api --group friends --version v1 --kind Foo --resource --controller >/dev/null
  "$cli" operator create api --group friends --version v2 --kind Foo --resource --controller=false >/dev/null
  "$cli" operator create webhook --group friends --version v1 --kind Foo --defaulting --programmatic-validation >/dev/null
  "$cli" operator create webhook --group friends --version v1 --kind Foo --conversion --spoke v2 >/dev/null
  "$cli" operator edit --helm >/dev/null
  # What the user writes: v2 moves `spec.name` into `spec.friend.name`, the defaulter and
  # validator, the conversion both ways, and the tests' checks.
  patch --quiet --forward -p1 <"$root/examples/friends.patch"
  # Built in the tutorial's target folder: the same dependencies, compiled once.
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/examples/tutorial/target}" \
    make --no-print-directory manifests >/dev/null
}

cronjob() {
  fresh cronjob
  [ -f Cargo.lock ] || cp "$root/examples/tutorial/Cargo.lock" .
  # Kubebuilder's book: its CronJob tutorial's commands, `--resource` answering the prompt.
  "$cli" operator init --domain tutorial.kubebuilder.io --repo tutorial.kubebuilder.io/project >/dev/null
  "$cli" operator create api --group batch --version v1 --kind CronJob --resource --controller --skeleton >/dev/null
  "$cli" operator create webhook --group batch --version v1 --kind CronJob --defaulting --programmatic-validation >/dev/null
  # The multiversion chapter: a `v2` whose schedule is a field per part, converted to and from
  # the hub `v1`, which stays the stored version the controller works on.
  "$cli" operator create api --group batch --version v2 --kind CronJob --resource --controller=false >/dev/null
  "$cli" operator create webhook --group batch --version v1 --kind CronJob --conversion --spoke v2 >/dev/null
  # What the user writes: the types, the scheduling, the controller, the webhooks, the
  # conversion, their tests.
  patch --quiet --forward -p1 <"$root/examples/cronjob.patch"
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/examples/tutorial/target}" \
    make --no-print-directory manifests >/dev/null
}

examples=("$@")
[ ${#examples[@]} -gt 0 ] || examples=(tutorial friends cronjob)
for name in "${examples[@]}"; do
  case "$name" in
    tutorial | friends | cronjob) (set -e; "$name") ;;
    *) echo "error: no example \`$name\`; pass tutorial, friends or cronjob" >&2; exit 2 ;;
  esac
  echo "regenerated examples/$name"
done
