#!/usr/bin/env bash
# The article's walkthrough, out of process, as a reader types it: against a real API server
# (kube-envtest's `serve` example), in examples/tutorial: make manifests, make install, make run,
# kubectl apply -f config/samples, a Pod named jack, kubectl get foos. Then everything stops and
# nothing is left running. Needs KUBEBUILDER_ASSETS (scripts/test.sh sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

work=$(mktemp -d)
kubeconfig="$work/kubeconfig"
serve_pid="" manager_pid=""
cleanup() {
  [ -n "$manager_pid" ] && kill -TERM -- "-$manager_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "error: $*" >&2; echo "--- manager log" >&2; tail -n 30 "$work/manager.log" >&2 || true; exit 1; }

# Polls a command until it succeeds, for up to 60 s: the operator converges in its own time.
eventually() {
  local what=$1; shift
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "timed out waiting until $what"
}
happy() { [ "$(kubectl get foo "$1" -o jsonpath='{.status.happy}')" = "$2" ]; }

cargo build --locked --quiet -p kube-envtest --example serve
"${CARGO_TARGET_DIR:-$root/target}/debug/examples/serve" "$kubeconfig" 2>"$work/serve.log" &
serve_pid=$!
eventually "the API server is up" test -f "$kubeconfig"
export KUBECONFIG="$kubeconfig"

cd examples/tutorial
echo "S7-S8: make manifests install"
make --no-print-directory manifests install >/dev/null
kubectl get crds | grep -q '^foos.tutorial.my.domain ' || fail "kubectl get crds does not list foos.tutorial.my.domain"

echo "S9: make run"
# Its own process group, so SIGTERM reaches make, cargo and the manager together.
# Metrics are off in a local run unless asked for; here plain HTTP on loopback, as the README shows.
setsid make --no-print-directory run ARGS="--metrics-bind-address=127.0.0.1:8080 --metrics-secure=false" >"$work/manager.log" 2>&1 &
manager_pid=$!
eventually "the manager starts its controller" grep -q 'starting controller' "$work/manager.log"
# Kubebuilder's ports: health probes on :8081, metrics on :8080 when asked for.
eventually "/readyz/caches answers ok on :8081" curl -sf http://127.0.0.1:8081/readyz/caches

echo "S10: kubectl apply -f config/samples"
kubectl apply -f config/samples >/dev/null
eventually "foo-01 is unhappy" happy foo-01 false
eventually "foo-02 is unhappy" happy foo-02 false

echo "S11: Pod jack makes foo-01 happy; foo-02 changes its friend to jack; jack goes away"
kubectl run jack --image=busybox --restart=Never >/dev/null
eventually "foo-01 is happy" happy foo-01 true
happy foo-02 false || fail "foo-02 became happy without its friend"
kubectl patch foo foo-02 --type merge -p '{"spec":{"name":"jack"}}' >/dev/null
eventually "foo-02 is happy" happy foo-02 true
kubectl get foos | tee "$work/foos.txt"
grep -Eq '^NAME +FRIEND +HAPPY +AGE$' "$work/foos.txt" || fail "kubectl get foos has no HAPPY column"
kubectl delete pod jack --grace-period=0 >/dev/null
eventually "foo-01 is unhappy again" happy foo-01 false
eventually "foo-02 is unhappy again" happy foo-02 false
kubectl get events --field-selector involvedObject.name=foo-01 | grep -q FriendLost || fail "no FriendLost event on foo-01"
curl -sf http://127.0.0.1:8080/metrics >"$work/metrics.txt" || fail "no /metrics on :8080"
grep -Eq '^controller_runtime_reconcile_total\{controller="foo",result="success"\} [1-9]' "$work/metrics.txt" ||
  fail "/metrics counts no successful reconcile of foo: $(grep reconcile_total "$work/metrics.txt")"

echo "teardown: SIGTERM to the manager, then to the API server"
kill -TERM -- "-$manager_pid"
for _ in $(seq 200); do kill -0 "$manager_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$manager_pid" 2>/dev/null && fail "the manager did not stop within 20 s of SIGTERM"
grep -q 'manager stopped' "$work/manager.log" || fail "the manager did not shut down cleanly"
manager_pid=""
servers=$(pgrep -P "$serve_pid" | tr '\n' ' ')
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "the API server did not stop cleanly: $(tail -n 5 "$work/serve.log")"
serve_pid=""
for pid in $servers; do
  kill -0 "$pid" 2>/dev/null && fail "process $pid (etcd or kube-apiserver) is still running"
done
echo "walkthrough passed"
