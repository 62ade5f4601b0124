#!/usr/bin/env bash
# Every check CI runs, in the order a failure is cheapest to see. `.ci/run` calls this script,
# so a newcomer's `scripts/test.sh` and CI are the same thing.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s (%d s in)\n' "$*" "$SECONDS"; }

# A one-off build gains nothing from incremental caches or full debug info, and both cost disk
# and link time across the dozen test binaries built here.
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=line-tables-only

for tool in cargo cargo-fmt cargo-clippy kubectl; do
  command -v "$tool" >/dev/null || { echo "error: \`$tool\` is not on PATH; install it (rustup component add rustfmt clippy; kubectl from your package manager)" >&2; exit 1; }
done

step "format, lint, runtime docs"
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings
# The runtime is a library for others: its rustdoc must build without broken links.
RUSTDOCFLAGS="-D warnings" K8S_OPENAPI_ENABLED_VERSION=1.37 \
  cargo doc --locked --quiet -p kube-operator-runtime --all-features --no-deps

step "envtest binaries (etcd, kube-apiserver, kubectl): downloaded, or (no index reachable) built once from Go modules, then cached"
# The generated projects' own script: what a user's `make test` runs.
KUBEBUILDER_ASSETS=$(scripts/envtest-assets.sh | tail -n 1)
export KUBEBUILDER_ASSETS
echo "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"

step "workspace tests: cargo-operator (unit, snapshots, CLI), kube-operator-runtime, kube-envtest (real API servers)"
# insta must compare, never write, so a changed template fails until its snapshot is reviewed.
# The fault tests in fault-tests/ need the example's manager binary: they only build here, and
# run after the example's own tests.
INSTA_UPDATE=no cargo test --locked --workspace --all-features

step "crates.io packages: kube-envtest, kube-operator-runtime, cargo-operator (each built from its package)"
cargo package --locked --allow-dirty --list -p cargo-operator | grep -q '^templates/init/Cargo.toml.jinja$'
# Libraries on k8s-openapi build only with a Kubernetes version chosen, which an application
# does by a feature; a library's own package build chooses one this way. Their own target
# folder: the packaged CLI would otherwise replace target/debug/cargo-operator.
K8S_OPENAPI_ENABLED_VERSION=1.37 cargo package --locked --allow-dirty --target-dir target/packaged \
  -p kube-envtest -p kube-operator-runtime
# cargo-operator's package has no copy of the runtime crates, so it also proves a published CLI
# builds. Never with the variable: kopium gives its k8s-openapi 0.28 the `latest` feature (1.36),
# and a second version chosen by the variable stops that build.
cargo package --locked --allow-dirty --target-dir target/packaged -p cargo-operator
# Nothing later reuses these builds; a few GiB back for the generated projects.
rm -rf target/packaged

step "examples: regenerate tutorial, friends and cronjob, and compare with the committed copies"
scripts/regenerate-example.sh
if ! git diff --exit-code --stat -- examples || [ -n "$(git status --porcelain -- examples)" ]; then
  git status --porcelain -- examples
  echo "error: examples/ differs from what cargo-operator generates; run scripts/regenerate-example.sh and commit the result" >&2
  exit 1
fi

step "examples/tutorial: format, lint, unit tests, the walkthrough on a real API server, manifests render"
(
  cd examples/tutorial
  cargo fmt --check
  cargo clippy --locked --all-targets -- -D warnings
  kubectl kustomize config/default >/dev/null
  kubectl kustomize config/samples >/dev/null
  kubectl kustomize config/prometheus >/dev/null
)

step "examples/tutorial's make test as a user without Go runs it: etcd and kube-apiserver downloaded from a mirror of the envtest release index, then the fallback to Go"
# The mirror: an index in controller-tools' format listing one archive made of the binaries
# built above, served on loopback; this machine cannot reach the real index.
mirror=$(mktemp -d)
platform_dir=$(basename "$KUBEBUILDER_ASSETS") # <X.Y.Z>-<os>-<arch>
archive="envtest-v${platform_dir%%-*}-${platform_dir#*-}.tar.gz"
mkdir -p "$mirror/stage/controller-tools/envtest"
cp "$KUBEBUILDER_ASSETS"/{etcd,kube-apiserver,kubectl} "$mirror/stage/controller-tools/envtest/"
tar -C "$mirror/stage" -cf - controller-tools | gzip -1 >"$mirror/$archive"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$mirror/envtest-releases.yaml" <<EOF
releases:
  v${platform_dir%%-*}:
    $archive:
      hash: $(sha512sum "$mirror/$archive" | cut -d' ' -f1)
      selfLink: http://127.0.0.1:$port/$archive
EOF
python3 -m http.server --bind 127.0.0.1 --directory "$mirror" "$port" >/dev/null 2>&1 &
mirror_server=$!
trap 'kill "$mirror_server" 2>/dev/null; rm -rf "$mirror"' EXIT
# PATH without Go; KUBEBUILDER_ASSETS unset; an empty store.
no_go_path=$(tr ':' '\n' <<<"$PATH" | while read -r dir; do [ -x "$dir/go" ] || printf '%s:' "$dir"; done)
(
  cd examples/tutorial
  export PATH=${no_go_path%:} XDG_DATA_HOME="$mirror/data"
  unset KUBEBUILDER_ASSETS
  ! command -v go >/dev/null || { echo "error: go is still on PATH" >&2; exit 1; }
  export KUBE_ENVTEST_INDEX_URL="http://127.0.0.1:$port/envtest-releases.yaml"
  started=$SECONDS
  make test 2>&1 | tee "$mirror/test.log"
  grep -q "^kube-envtest: downloading $archive from http://127.0.0.1:$port/$archive into $XDG_DATA_HOME/kubebuilder-envtest/k8s/$platform_dir$" "$mirror/test.log"
  echo "tests without Go, download included: $((SECONDS - started)) s"
  # `make envtest` (hack/envtest-assets.sh) finds what the tests downloaded.
  [ "$(make --no-print-directory envtest 2>/dev/null)" = "KUBEBUILDER_ASSETS=$XDG_DATA_HOME/kubebuilder-envtest/k8s/$platform_dir" ]
)
# The index unreachable, Go there: one line says why, then the embedded hack/envtest-assets.sh
# builds the binaries from Go's caches, warm since the Go build above (tens of seconds).
(
  cd examples/tutorial
  export XDG_DATA_HOME="$mirror/data-fallback"
  unset KUBEBUILDER_ASSETS
  export KUBE_ENVTEST_INDEX_URL="http://127.0.0.1:1/envtest-releases.yaml"
  started=$SECONDS
  cargo test --locked --test integration foo_controller::foo_is_happy 2>&1 | tee "$mirror/fallback.log"
  grep -q "^kube-envtest: cannot download the envtest release index from $KUBE_ENVTEST_INDEX_URL: .*; building etcd and kube-apiserver from Go modules instead (once; this takes minutes)$" "$mirror/fallback.log"
  echo "the fallback to Go, with warm caches: $((SECONDS - started)) s"
)
kill "$mirror_server"
trap - EXIT
rm -rf "$mirror"

step "the article's walkthrough out of process: make manifests install run, kubectl, on a real API server"
scripts/walkthrough.sh

step "fault tests: the example's manager under an API server outage, a lost Lease, lost RBAC, SIGTERM under load"
# The manager binary the example's own tests just built. The variants below share its target
# folder and build binaries of the same name, so this runs first. tests/churn.rs (ten rounds of
# 1,000 Foos, for memory figures) takes minutes and is run by hand.
TUTORIAL_MANAGER="${CARGO_TARGET_DIR:-$PWD/examples/tutorial/target}/debug/manager" \
  cargo test --locked -p fault-tests --test apiserver_outage --test leader_election \
  --test rbac_removed --test sigterm_burst -- --ignored

step "examples/friends: format, lint, tests (its webhooks called by a real API server), manifests render"
(
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/examples/tutorial/target}"
  cd examples/friends
  cargo fmt --check
  cargo clippy --locked --all-targets -- -D warnings
  cargo test --locked
  kubectl kustomize config/default >/dev/null
)

step "examples/cronjob: format, lint, tests (the book's CronJob on a real API server, its webhooks), manifests render"
(
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/examples/tutorial/target}"
  cd examples/cronjob
  cargo fmt --check
  cargo clippy --locked --all-targets -- -D warnings
  cargo test --locked
  kubectl kustomize config/default >/dev/null
)

step "variants: namespaced with a Helm chart; cluster-scoped with two versions; two groups with core and external kinds; an API added then deleted; the webhook scaffold"
# Each variant is scaffolded with the CLI, then formatted, linted and tested like the example.
# They share the example's target folder, so only their own crate is compiled again.
cli="${CARGO_TARGET_DIR:-$PWD/target}/debug/cargo-operator"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/examples/tutorial/target}"
variants=$(mktemp -d)
trap 'rm -rf "$variants"' EXIT
# Runs each command (one argument each) in a new project folder.
scaffold_variant() {
  local dir="$variants/$1"; shift
  mkdir -p "$dir" && cp examples/tutorial/Cargo.lock "$dir/"
  (
    cd "$dir"
    while [ $# -gt 0 ]; do
      # Each command is one argument; word splitting is what is wanted here.
      # shellcheck disable=SC2086
      "$cli" operator $1 >/dev/null
      shift
    done
  )
}
check_variant() {
  scaffold_variant "$@"
  (
    cd "$variants/$1"
    cargo fmt --check
    cargo clippy --quiet --all-targets -- -D warnings
    cargo test --quiet
    cargo run --quiet --bin crdgen >crds.yaml
  )
}
# ClusterBackupPolicy's `pub use` line wraps under rustfmt; Gadget goes into the same version
# after it, and both are then regenerated with --force.
check_variant team-operator \
  "init --domain example.com --namespaced" \
  "create api --group apps --version v1alpha1 --kind Foo" \
  "create api --group apps --version v1alpha1 --kind ClusterBackupPolicy --skeleton" \
  "create api --group apps --version v1alpha1 --kind Gadget --skeleton" \
  "create api --group apps --version v1alpha1 --kind ClusterBackupPolicy --skeleton --force" \
  "create api --group apps --version v1alpha1 --kind Gadget --skeleton --force" \
  "edit --helm" \
  "edit --plugins=autoupdate/v1-alpha"
# Service's plural shadows the built-in `services`: its generated test must name
# `services.infra.example.com` for kubectl.
check_variant cluster-operator \
  "init --domain example.com" \
  "create api --group infra --version v1 --kind Foo --namespaced=false" \
  "create api --group infra --version v2 --kind Foo --namespaced=false --controller=false" \
  "create api --group infra --version v1 --kind Gateway --namespaced=false --skeleton" \
  "create api --group infra --version v1 --kind Service --namespaced=false"
# Two groups, a cluster-scoped kind, a second controller for a kind, controllers over a
# Deployment and over cert-manager's Certificate (types generated from its CRD).
fixtures="$PWD/tests/fixtures/external-crds"
check_variant fleet-operator \
  "init --domain example.com --multigroup" \
  "create api --group ship --version v1 --kind Frigate --skeleton" \
  "create api --group sea --version v1 --kind Whale --namespaced=false --skeleton" \
  "create api --group ship --version v1 --kind Frigate --resource=false --controller-name frigate-audit" \
  "create api --group apps --version v1 --kind Deployment --resource=false --controller" \
  "create api --kind Certificate --external-api-crd $fixtures/certificates.cert-manager.io.yaml" \
  "edit --helm"
grep -q '^  name: frigates.ship.example.com$' "$variants/fleet-operator/crds.yaml"
grep -q '^  name: whales.sea.example.com$' "$variants/fleet-operator/crds.yaml"
if grep -q 'name: certificates.cert-manager.io$' "$variants/fleet-operator/crds.yaml"; then
  echo "error: the project wrote a CRD for cert-manager's Certificate, which it does not own" >&2
  exit 1
fi
# Every API added and deleted again, with its webhooks (Foo's conversion goes with its spoke v2,
# Bar's with its hub v2): the tree is the one where they were never added, and it builds and
# passes its tests.
check_variant added-then-deleted \
  "init --domain example.com --project-name scratch" \
  "create api --group infra --version v1 --kind Foo" \
  "create api --group infra --version v1 --kind Bar --skeleton" \
  "create api --group infra --version v2 --kind Foo --controller=false" \
  "create api --group infra --version v2 --kind Bar --controller=false" \
  "create api --group infra --version v1 --kind Foo --resource=false --controller-name foo-audit" \
  "create api --group apps --version v1 --kind Deployment --resource=false" \
  "create api --kind Certificate --external-api-crd $fixtures/certificates.cert-manager.io.yaml" \
  "create webhook --group infra --version v1 --kind Foo --defaulting" \
  "create webhook --group infra --version v1 --kind Foo --conversion --spoke v2" \
  "create webhook --group infra --version v2 --kind Bar --programmatic-validation --conversion --spoke v1" \
  "create webhook --group core --version v1 --kind Pod --defaulting --programmatic-validation" \
  "create webhook --group apps --version v1 --kind Deployment --defaulting" \
  "create webhook --group cert-manager --version v1 --kind Issuer --programmatic-validation --external-api-crd $fixtures/issuers.cert-manager.io.yaml --external-api-domain=io" \
  "delete api --group cert-manager.io --version v1 --kind Issuer" \
  "delete api --group core --version v1 --kind Pod" \
  "delete api --group cert-manager.io --version v1 --kind Certificate" \
  "delete api --group apps --version v1 --kind Deployment" \
  "delete api --group infra --version v2 --kind Foo" \
  "delete api --group infra --version v2 --kind Bar" \
  "delete api --group infra --version v1 --kind Bar"
# Foo's defaulting webhook keeps the webhooks' deploy config in both trees.
scaffold_variant never-added \
  "init --domain example.com --project-name scratch" \
  "create api --group infra --version v1 --kind Foo" \
  "create api --group infra --version v1 --kind Foo --resource=false --controller-name foo-audit" \
  "create webhook --group infra --version v1 --kind Foo --defaulting"
diff -r --exclude=crds.yaml --exclude=Cargo.lock "$variants/never-added" "$variants/added-then-deleted" || {
  echo "error: deleting the APIs did not give back the tree of a project that never had them" >&2
  exit 1
}
# The last webhook deleted takes the deploy config with it: a tree without a trace of webhooks
# (only scaffolded: the tree it must equal is one the variants above build).
scaffold_variant webhooks-deleted \
  "init --domain example.com --project-name scratch" \
  "create api --group infra --version v1 --kind Foo" \
  "create api --group infra --version v2 --kind Foo --controller=false" \
  "create api --group infra --version v1 --kind Bar --skeleton" \
  "create webhook --group infra --version v1 --kind Foo --defaulting --programmatic-validation" \
  "create webhook --group infra --version v2 --kind Foo --conversion --spoke v1" \
  "create webhook --group core --version v1 --kind Pod --defaulting" \
  "delete api --group core --version v1 --kind Pod" \
  "delete api --group infra --version v2 --kind Foo" \
  "delete api --group infra --version v1 --kind Foo"
scaffold_variant never-had-webhooks \
  "init --domain example.com --project-name scratch" \
  "create api --group infra --version v1 --kind Bar --skeleton"
diff -r --exclude=Cargo.lock "$variants/never-had-webhooks" "$variants/webhooks-deleted" || {
  echo "error: deleting the last webhooks left some of their deploy config behind" >&2
  exit 1
}
# The webhook scaffold as generated, which examples/friends replaces with its user's code: a
# cluster-scoped kind of two versions, in the layout by group, with a custom path. Its two
# webhook tests run; the controller's and the manager's run in the other variants.
scaffold_variant webhook-scaffold \
  "init --domain example.com --multigroup" \
  "create api --group ship --version v1 --kind Frigate --skeleton --namespaced=false" \
  "create api --group ship --version v2 --kind Frigate --skeleton --namespaced=false --controller=false" \
  "create webhook --group ship --version v1 --kind Frigate --defaulting --programmatic-validation --validation-path /check-frigates" \
  "create webhook --group ship --version v1 --kind Frigate --conversion --spoke v2"
(
  cd "$variants/webhook-scaffold"
  cargo fmt --check
  cargo clippy --quiet --all-targets -- -D warnings
  cargo test --quiet --test integration -- ship_frigate_v1_webhook:: ship_frigate_conversion::
)
# The manager's own role is a Role in the namespaced project, a ClusterRole otherwise.
manager_role_kind() { grep -B2 '^  name: manager-role$' "$variants/$1/crds.yaml" | sed -n 's/^kind: //p'; }
[ "$(manager_role_kind team-operator)" = Role ] || { echo "error: the namespaced project's manager role is not a Role" >&2; exit 1; }
[ "$(manager_role_kind cluster-operator)" = ClusterRole ] || { echo "error: the cluster-wide project's manager role is not a ClusterRole" >&2; exit 1; }
# Two versions of Foo merge into one CRD; every CRD of that project is cluster-scoped.
[ "$(grep -c '^  name: foos.infra.example.com$' "$variants/cluster-operator/crds.yaml")" -eq 1 ]
grep -q 'name: v2$' "$variants/cluster-operator/crds.yaml"
if grep -q '^  scope: Namespaced$' "$variants/cluster-operator/crds.yaml"; then
  echo "error: a cluster-scoped kind was generated as namespaced" >&2
  exit 1
fi

step "Kubebuilder's reference projects: every command of its generate.sh pasted unchanged; one built and tested"
# project-v4 (webhooks on Pod, Deployment and cert-manager's Issuer, conversion without --spoke,
# --plural), project-v4-multigroup (the same kind in two groups) and project-v4-with-plugins
# (deploy-image, grafana, helm, autoupdate). The last is built, linted and tested like the variants above.
for project in project-v4 project-v4-multigroup project-v4-with-plugins; do
  scripts/kubebuilder-reference.sh "$cli" "$project" "$variants/$project" >/dev/null
done
cp examples/tutorial/Cargo.lock "$variants/project-v4-with-plugins/"
(
  cd "$variants/project-v4-with-plugins"
  cargo fmt --check
  cargo clippy --quiet --all-targets -- -D warnings
  cargo test --quiet
  make --no-print-directory manifests >/dev/null
  kubectl kustomize config/default >/dev/null
)
# The layout by group's manifests render: the same kind in two groups gets two sets of roles.
cp examples/tutorial/Cargo.lock "$variants/project-v4-multigroup/"
(
  cd "$variants/project-v4-multigroup"
  make --no-print-directory manifests >/dev/null
  kubectl kustomize config/default >/dev/null
)
# project-v4's webhooks on kinds it does not own, each called by a real API server.
cp examples/tutorial/Cargo.lock "$variants/project-v4/"
(
  cd "$variants/project-v4"
  cargo clippy --quiet --all-targets -- -D warnings
  cargo test --quiet --test integration -- pod_v1_webhook:: deployment_v1_webhook:: issuer_v1_webhook::
)

step "update: a project made by the last release's CLI (built from 6d3abf0), edited as a user would, brought to this version"
# Builds the old CLI with the workspace's target folder (only the workspace crates compile),
# then this one again; the project builds and tests in the example's target folder.
scripts/check-update.sh "${cli%/debug/cargo-operator}"

step "GitHub workflows: actionlint on every workflow generated above; cargo-deny on the example's dependencies"
# lint.yml, test.yml and test-e2e.yml from init, auto_update.yml from the autoupdate plugin
# (team-operator, project-v4-with-plugins). Their commands run above: cargo fmt, clippy and
# cargo test (what `make test` runs) on every example and variant. test-e2e.yml's Kind
# deployment needs Docker, which CI has not; its tests/e2e.rs builds and is skipped above.
actionlint=$(scripts/actionlint.sh | tail -n 1)
workflows=(examples/*/.github/workflows/*.yml "$variants"/*/.github/workflows/*.yml)
[ "${#workflows[@]}" -gt 30 ] || { echo "error: only ${#workflows[@]} generated workflows found" >&2; exit 1; }
[[ " ${workflows[*]} " == *"/auto_update.yml "* ]] || { echo "error: no variant has the autoupdate workflow" >&2; exit 1; }
"$actionlint" "${workflows[@]}"
echo "actionlint: ${#workflows[@]} workflows pass"
# The lint workflow's cargo-deny, with the project's deny.toml. Advisories need the RustSec
# database from GitHub, which CI cannot reach: licenses, bans and sources are checked here.
cargo_deny=$(scripts/cargo-deny.sh | tail -n 1)
(cd examples/tutorial && "$cargo_deny" --log-level error check licenses bans sources)

step "install: make build-installer, dist/install.yaml and the Helm chart on a real API server (server-side dry-run)"
scripts/check-install.sh examples/tutorial examples/friends examples/cronjob "$variants/team-operator" "$variants/cluster-operator" "$variants/fleet-operator"
# `make build-installer` ran `make manifests` again: the committed manifests and chart must be
# what the Rust code generates, and what it writes to dist/ must stay out of git.
if ! git diff --exit-code --stat -- examples || [ -n "$(git status --porcelain -- examples)" ]; then
  git status --porcelain -- examples
  echo "error: \`make manifests\` or \`make build-installer\` changed examples/; regenerate them and commit the result" >&2
  exit 1
fi

step "image: the Dockerfile's build steps in a clean folder holding only what it copies"
scripts/check-docker-build.sh examples/tutorial

step "all checks passed"
