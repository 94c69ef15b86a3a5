#!/usr/bin/env bash
# Prints a merge patch for Argo CD's argocd-cm ConfigMap that adds orgsync's health
# checks, one key per kind, from integrations/argocd/resource_customizations.
#
# usage: hack/argocd-cm-patch.sh > orgsync-health.yaml
#        kubectl -n argocd patch configmap argocd-cm --type merge --patch-file orgsync-health.yaml
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/integrations/argocd/resource_customizations/cloud.orgsync.io"
echo "data:"
for kind in CloudAccount Organization ConnectCluster; do
  echo "  resource.customizations.health.cloud.orgsync.io_${kind}: |"
  sed 's/^/    /' "$dir/$kind/health.lua"
done
