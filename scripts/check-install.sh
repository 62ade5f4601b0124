#!/usr/bin/env bash
# For each generated project given: `make build-installer`, then dist/install.yaml and, when the
# project has a Helm chart, `helm template` applied to a real API server (kube-envtest's `serve`
# example) with server-side dry-run, which validates every object as the cluster would without
# storing it. Also renders config/default with the Prometheus ServiceMonitor switched on, and
# lints the chart. Needs KUBEBUILDER_ASSETS (scripts/test.sh sets it).
#
# Usage: scripts/check-install.sh PROJECT_DIR...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: scripts/check-install.sh PROJECT_DIR..." >&2; exit 2; }
cd "$(dirname "$0")/.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
projects=()
for dir in "$@"; do projects+=("$(cd "$dir" && pwd)"); done

work=$(mktemp -d)
kubeconfig="$work/kubeconfig"
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "error: $*" >&2; exit 1; }

helm=$(scripts/helm.sh | tail -n 1)

cargo build --locked --quiet -p kube-envtest --example serve
"$target/debug/examples/serve" "$kubeconfig" 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 600); do [ -f "$kubeconfig" ] && break; sleep 0.1; done
[ -f "$kubeconfig" ] || fail "the API server did not start: $(tail -n 5 "$work/serve.log")"
export KUBECONFIG="$kubeconfig"

dry_run() { kubectl apply --server-side --dry-run=server -f "$1" >"$work/apply.log" 2>&1 || fail "$2 does not apply: $(cat "$work/apply.log")"; }

for project in "${projects[@]}"; do
  cd "$project"
  name=$(basename "$project")
  namespace=$(awk '$1 == "namespace:" { print $2; exit }' config/default/kustomization.yaml)
  [ -n "$namespace" ] || fail "$name: config/default/kustomization.yaml sets no namespace"
  echo "$name: make build-installer; apply dist/install.yaml (server-side dry-run) in $namespace"
  make --no-print-directory build-installer >/dev/null
  # A dry run stores nothing, so objects in a namespace the same file creates would be refused.
  kubectl create namespace "$namespace" >/dev/null
  if grep -q '^kind: Certificate$' dist/install.yaml; then
    # A project with webhooks needs cert-manager's kinds: stand-ins for its CRDs, once.
    kubectl apply --server-side -f "$root/tests/fixtures/external-crds/certificates.cert-manager.io.yaml" \
      -f "$root/tests/fixtures/external-crds/issuers.cert-manager.io.yaml" >/dev/null
    kubectl wait --for condition=established --timeout=30s crd/certificates.cert-manager.io crd/issuers.cert-manager.io >/dev/null
    grep -q 'cert-manager.io/inject-ca-from: '"$namespace/$name"'-serving-cert$' dist/install.yaml ||
      fail "$name/dist/install.yaml does not inject cert-manager's CA into its webhooks"
    grep -q -- '- --webhook-cert-path=/tmp/k8s-webhook-server/serving-certs$' dist/install.yaml ||
      fail "$name/dist/install.yaml does not mount the webhook certificate"
  fi
  dry_run dist/install.yaml "$name/dist/install.yaml"
  grep -q '^kind: Deployment$' dist/install.yaml || fail "$name/dist/install.yaml has no Deployment"
  grep -q -- '- --metrics-bind-address=:8443$' dist/install.yaml || fail "$name/dist/install.yaml serves no metrics on :8443"
  for role in metrics-auth-role metrics-reader; do
    grep -q "^  name: $name-$role$" dist/install.yaml || fail "$name/dist/install.yaml has no $name-$role ClusterRole"
  done

  echo "$name: config/default with ../network-policy applies a NetworkPolicy (server-side dry-run)"
  cp -r config "$work/netpol-$name"
  sed -i 's|^#- \.\./network-policy$|- ../network-policy|' "$work/netpol-$name/default/kustomization.yaml"
  kubectl kustomize "$work/netpol-$name/default" >"$work/netpol.yaml"
  grep -q '^kind: NetworkPolicy$' "$work/netpol.yaml" || fail "$name: uncommenting ../network-policy adds no NetworkPolicy"
  dry_run "$work/netpol.yaml" "$name: config/default with ../network-policy"

  echo "$name: config/default with ../prometheus renders a ServiceMonitor"
  cp -r config "$work/config-$name"
  sed -i 's|^#- \.\./prometheus$|- ../prometheus|' "$work/config-$name/default/kustomization.yaml"
  kubectl kustomize "$work/config-$name/default" >"$work/prometheus.yaml"
  grep -q '^kind: ServiceMonitor$' "$work/prometheus.yaml" || fail "$name: uncommenting ../prometheus adds no ServiceMonitor"
  grep -q "^  name: $name-controller-manager-metrics-monitor$" "$work/prometheus.yaml" || fail "$name: the ServiceMonitor is not named like the rest"

  [ -f dist/chart/Chart.yaml ] || continue
  echo "$name: helm lint; helm template applied (server-side dry-run)"
  "$helm" lint --strict dist/chart >/dev/null
  "$helm" lint --strict dist/chart --set prometheus.enable=true --set metrics.enable=false --set rbac.enable=false >/dev/null
  # cert-manager's kinds are unknown to the test API server: with webhooks, the chart is applied
  # without its Certificate and Issuer, which are only rendered below. Charts without webhooks
  # ignore the webhook values.
  "$helm" template "$name" dist/chart --namespace "$namespace" --set networkPolicy.enable=true --set certManager.enable=false >"$work/chart.yaml"
  dry_run "$work/chart.yaml" "$name: helm template"
  for kind in CustomResourceDefinition Deployment ServiceAccount RoleBinding Service NetworkPolicy ClusterRole; do
    grep -q "^kind: $kind$" "$work/chart.yaml" || fail "$name: the chart renders no $kind"
  done
  # The ServiceMonitor kind exists only with the Prometheus Operator, so it is rendered, not applied.
  "$helm" template "$name" dist/chart --namespace "$namespace" --set prometheus.enable=true >"$work/chart.yaml"
  grep -q '^kind: ServiceMonitor$' "$work/chart.yaml" || fail "$name: prometheus.enable=true renders no ServiceMonitor"
  "$helm" template "$name" dist/chart --namespace "$namespace" --set crd.enable=false --set metrics.enable=false --set webhook.enable=false >"$work/chart.yaml"
  if grep -Eq '^kind: (CustomResourceDefinition|Service)$' "$work/chart.yaml"; then
    fail "$name: crd.enable=false, metrics.enable=false or webhook.enable=false still renders a CRD or a Service"
  fi
  if grep -q -- '--metrics-bind-address' "$work/chart.yaml"; then
    fail "$name: metrics.enable=false leaves the metrics server on"
  fi
  if [ -f dist/chart/templates/webhook/service.yaml ]; then
    "$helm" lint --strict dist/chart --set webhook.enable=false >/dev/null
    "$helm" template "$name" dist/chart --namespace "$namespace" >"$work/chart.yaml"
    for kind in Certificate Issuer; do
      grep -q "^kind: $kind$" "$work/chart.yaml" || fail "$name: the chart's webhooks get no cert-manager $kind"
    done
    grep -q "^  name: $name-webhook-service$" "$work/chart.yaml" || fail "$name: the chart renders no $name-webhook-service"
    grep -q -- '- --webhook-cert-path=' "$work/chart.yaml" || fail "$name: the chart's manager serves no webhooks"
    "$helm" template "$name" dist/chart --namespace "$namespace" --set webhook.enable=false >"$work/chart.yaml"
    if grep -Eq '^kind: (Certificate|Issuer|MutatingWebhookConfiguration|ValidatingWebhookConfiguration)$' "$work/chart.yaml"; then
      fail "$name: webhook.enable=false still renders the webhooks' objects"
    fi
    grep -q -- '- --enable-webhooks=false$' "$work/chart.yaml" || fail "$name: webhook.enable=false leaves the webhook server on"
  fi
  # The manager Pod's settings from values.yaml, each set and found in the rendered Deployment,
  # which the API server then accepts.
  cat >"$work/pod-values.yaml" <<'VALUES'
manager:
  args: ["--cache-sync-timeout=5m"]
  env:
  - name: HTTPS_PROXY
    value: http://proxy.example.com:3128
  resources:
    limits: {cpu: 750m, memory: 256Mi}
    requests: {cpu: 20m, memory: 48Mi}
  imagePullSecrets:
  - name: my-registry
  nodeSelector:
    kubernetes.io/os: linux
  tolerations:
  - {key: dedicated, operator: Equal, value: operators, effect: NoSchedule}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}
  pod:
    labels: {team: platform, control-plane: not-the-manager}
    annotations: {example.com/owner: platform}
VALUES
  "$helm" template "$name" dist/chart --namespace "$namespace" --show-only templates/manager/manager.yaml \
    -f "$work/pod-values.yaml" >"$work/manager.yaml"
  for expected in '- "--cache-sync-timeout=5m"' '- name: HTTPS_PROXY' 'value: http://proxy.example.com:3128' \
    'cpu: 750m' 'memory: 48Mi' 'imagePullSecrets:' '- name: my-registry' 'kubernetes.io/os: linux' \
    'key: dedicated' 'effect: NoSchedule' 'nodeAffinity:' '- key: kubernetes.io/arch' \
    'team: platform' 'example.com/owner: platform' 'control-plane: controller-manager'; do
    grep -qF -- "$expected" "$work/manager.yaml" || fail "$name: the chart's Deployment lacks \`$expected\` set in values.yaml"
  done
  if grep -q 'not-the-manager' "$work/manager.yaml"; then
    fail "$name: manager.pod.labels replaced a label that selects the manager's Pods"
  fi
  "$helm" lint --strict dist/chart -f "$work/pod-values.yaml" >/dev/null
  dry_run "$work/manager.yaml" "$name: helm template with the Pod's settings"
  "$helm" template "$name" dist/chart --namespace "$namespace" --set metrics.secure=false >"$work/chart.yaml"
  grep -q -- '- --metrics-secure=false$' "$work/chart.yaml" || fail "$name: metrics.secure=false still serves HTTPS"
  if grep -q 'metrics-auth-role$' "$work/chart.yaml"; then
    fail "$name: metrics.secure=false still grants the metrics-auth role"
  fi
done

kill -TERM "$serve_pid"
wait "$serve_pid" || fail "the API server did not stop cleanly: $(tail -n 5 "$work/serve.log")"
serve_pid=""
echo "install checks passed"
