#!/usr/bin/env bash
# Kubebuilder's three reference projects (project-v4, project-v4-multigroup and
# project-v4-with-plugins), made with the commands Kubebuilder's own test data uses, pasted with
# only the binary's name changed. The exception: Kubebuilder names an external kind's Go module
# (`--external-api-path`); cargo-operator takes the kind's CRD file (`--external-api-crd`).
# Every command must succeed; scripts/test.sh builds and tests what they make.
#
# Usage: scripts/kubebuilder-reference.sh CLI PROJECT DIR
#   CLI      the cargo-operator binary
#   PROJECT  project-v4, project-v4-multigroup or project-v4-with-plugins
#   DIR      an empty or missing folder to make the project in
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 CLI PROJECT DIR" >&2; exit 2; }
cli=$(realpath "$1")
project=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
crds="$root/tests/fixtures/external-crds"
case "$project" in
  project-v4 | project-v4-multigroup | project-v4-with-plugins) ;;
  *) echo "error: no reference project \`$project\`; pass project-v4, project-v4-multigroup or project-v4-with-plugins" >&2; exit 2 ;;
esac
mkdir -p "$3"
cd "$3"
[ -z "$(ls -A)" ] || { echo "error: \`$3\` is not empty" >&2; exit 2; }

# Runs one command; on failure, prints it with cargo-operator's message and stops.
kb() {
  local output
  if ! output=$("$cli" operator "$@" 2>&1); then
    printf 'error: `cargo operator %s` failed in %s:\n%s\n' "$*" "$project" "$output" >&2
    exit 1
  fi
}

kb init --plugins="go/v4" --domain testproject.org --license apache2 --owner "The Kubernetes authors"

if [ "$project" = project-v4 ]; then
  kb create api --group crew --version v1 --kind Captain --controller=true --resource=true --make=false
  kb create api --group crew --version v1 --kind Captain --controller=true --resource=true --make=false --force
  kb create webhook --group crew --version v1 --kind Captain --defaulting --programmatic-validation --make=false
  kb create api --group crew --version v1 --kind FirstMate --controller=true --resource=true --make=false
  kb create api --group crew --version v2 --kind FirstMate --controller=false --resource=true --make=false
  kb create webhook --group crew --version v1 --kind FirstMate --conversion --make=false
  kb create api --group crew --version v1 --kind Admiral --plural=admirales --controller=true --resource=true --namespaced=false --make=false
  kb create webhook --group crew --version v1 --kind Admiral --plural=admirales --defaulting
  kb create api --group "cert-manager" --version v1 --kind Certificate --controller=true --resource=false --make=false --external-api-crd="$crds/certificates.cert-manager.io.yaml" --external-api-domain=io
  kb create webhook --group "cert-manager" --version v1 --kind Issuer --defaulting --external-api-crd="$crds/issuers.cert-manager.io.yaml" --external-api-domain=io
  kb create webhook --group core --version v1 --kind Pod --defaulting
  kb create webhook --group apps --version v1 --kind Deployment --defaulting --programmatic-validation
fi

if [ "$project" = project-v4-multigroup ]; then
  kb edit --multigroup=true
  kb create api --group crew --version v1 --kind Captain --controller=true --resource=true --make=false
  kb create webhook --group crew --version v1 --kind Captain --defaulting --programmatic-validation --make=false
  kb create api --group ship --version v1beta1 --kind Frigate --controller=true --resource=true --make=false
  kb create api --group ship --version v1 --kind Destroyer --controller=true --resource=true --namespaced=false --make=false
  kb create webhook --group ship --version v1 --kind Destroyer --defaulting --make=false
  kb create api --group ship --version v2alpha1 --kind Cruiser --controller=true --resource=true --namespaced=false --make=false
  kb create webhook --group ship --version v2alpha1 --kind Cruiser --programmatic-validation --make=false
  kb create api --group sea-creatures --version v1beta1 --kind Kraken --controller=true --resource=true --make=false
  kb create api --group sea-creatures --version v1beta2 --kind Leviathan --controller=true --resource=true --make=false
  kb create api --group foo.policy --version v1 --kind HealthCheckPolicy --controller=true --resource=true --make=false
  kb create api --group apps --version v1 --kind Deployment --controller=true --resource=false --make=false
  kb create api --group foo --version v1 --kind Bar --controller=true --resource=true --make=false
  kb create api --group fiz --version v1 --kind Bar --controller=true --resource=true --make=false
  kb create api --group "cert-manager" --version v1 --kind Certificate --controller=true --resource=false --make=false --external-api-crd="$crds/certificates.cert-manager.io.yaml" --external-api-domain=io
  kb create webhook --group "cert-manager" --version v1 --kind Issuer --defaulting --external-api-crd="$crds/issuers.cert-manager.io.yaml" --external-api-domain=io
  kb create webhook --group core --version v1 --kind Pod --programmatic-validation --make=false
  kb create webhook --group apps --version v1 --kind Deployment --defaulting --programmatic-validation --make=false
fi

if [ "$project" = project-v4-multigroup ] || [ "$project" = project-v4-with-plugins ]; then
  kb create api --group example.com --version v1alpha1 --kind Memcached --image=memcached:1.6.26-alpine3.19 --image-container-command="memcached,--memory-limit=64,-o,modern,-v" --image-container-port="11211" --run-as-user="1001" --plugins="deploy-image/v1-alpha" --make=false
  kb create api --group example.com --version v1alpha1 --kind Busybox --image=busybox:1.36.1 --plugins="deploy-image/v1-alpha" --make=false
  kb create webhook --group example.com --version v1alpha1 --kind Memcached --programmatic-validation --make=false
  kb create api --group example.com --version v1 --kind Wordpress --controller=true --resource=true --make=false
  kb create api --group example.com --version v2 --kind Wordpress --controller=false --resource=true --make=false
  kb create webhook --group example.com --version v1 --kind Wordpress --conversion --make=false
  kb edit --plugins=grafana.kubebuilder.io/v1-alpha
  # The chart's CRDs and roles come from the project's crdgen, built with the dependency
  # versions of this repository's example.
  cp "$root/examples/tutorial/Cargo.lock" .
  kb edit --plugins=helm.kubebuilder.io/v2-alpha
  kb edit --plugins=autoupdate.kubebuilder.io/v1-alpha
fi

echo "made $project in $(pwd)"
