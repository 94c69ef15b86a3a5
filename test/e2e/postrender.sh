#!/usr/bin/env bash
# Helm post-renderer for the test node (hack/node/up.sh). It changes only what that
# one-node environment needs and a real cluster would not:
#  - the API server's address: there is no kube-proxy, so the Service ClusterIP that
#    pods are given leads nowhere; KUBERNETES_SERVICE_HOST/PORT name the node's
#    forwarder on the pod network instead;
#  - trust for the simulated cloud APIs (cloudsim's self-signed certificate, from the
#    ConfigMap E2E_CA_CONFIGMAP), in place of the public roots.
# Everything else, the security context included, stays as the chart renders it.
#
# Reads the rendered manifests on stdin, writes them on stdout (Helm's contract).
# Needs E2E_KUBECTL, E2E_API_HOST, E2E_API_PORT, E2E_CA_CONFIGMAP.
set -euo pipefail

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/rendered.yaml"
cat > "$work/patch.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orgsync
spec:
  template:
    spec:
      containers:
      - name: manager
        env:
        - {name: KUBERNETES_SERVICE_HOST, value: "${E2E_API_HOST:?}"}
        - {name: KUBERNETES_SERVICE_PORT, value: "${E2E_API_PORT:?}"}
        - {name: SSL_CERT_FILE, value: /etc/orgsync-e2e/ca/ca.crt}
        volumeMounts:
        - {name: e2e-ca, mountPath: /etc/orgsync-e2e/ca, readOnly: true}
      volumes:
      - name: e2e-ca
        configMap: {name: "${E2E_CA_CONFIGMAP:?}"}
YAML
cat > "$work/kustomization.yaml" <<YAML
resources: [rendered.yaml]
patches:
- path: patch.yaml
  target: {group: apps, kind: Deployment, name: orgsync}
YAML
"${E2E_KUBECTL:?}" kustomize "$work"
