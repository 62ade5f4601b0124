#!/usr/bin/env bash
# Builds (once) etcd, kube-apiserver and kubectl for envtest and prints their folder last, for
# KUBEBUILDER_ASSETS. The script itself is the one every generated project carries as
# hack/envtest-assets.sh; this runs that copy, so there is one to maintain.
exec bash "$(dirname "$0")/../templates/init/hack/envtest-assets.sh.jinja" "$@"
