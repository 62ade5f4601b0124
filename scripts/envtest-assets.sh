#!/usr/bin/env bash
# Gets (once) etcd, kube-apiserver and kubectl for envtest, downloaded from the envtest release
# index or else built from Go modules, and prints their folder last, for KUBEBUILDER_ASSETS. The
# script itself is the one every generated project carries as hack/envtest-assets.sh (and
# kube-envtest's Go fallback); this runs that copy, so there is one to maintain.
exec bash "$(dirname "$0")/../templates/init/hack/envtest-assets.sh.jinja" "$@"
