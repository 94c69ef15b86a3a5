#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go sources through the module proxy (setup-envtest
# downloads prebuilt binaries, which this network cannot reach) and caches them per user,
# keyed by version, so only the first run on a machine pays. Prints the directory to use
# as KUBEBUILDER_ASSETS.
set -euo pipefail

K8S_VERSION="${ENVTEST_K8S_VERSION:-1.37.2}"
ETCD_VERSION="${ENVTEST_ETCD_VERSION:-3.7.3}"
GOOS_ARCH="$(go env GOOS)-$(go env GOARCH)"
CACHE_ROOT="${ORGSYNC_ENVTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orgsync/envtest}"
ASSETS="$CACHE_ROOT/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}-${GOOS_ARCH}"

log() { echo "envtest-assets: $*" >&2; }

# hack/k8s-build.sh stamps the release into the build: without it the server reports
# v0.0.0-master+$Format:%H$, which Helm and kubectl cannot parse. The test node
# (hack/node/assets.sh) builds its components with the same script.
build_kube_apiserver() {
  log "building kube-apiserver v${K8S_VERSION} (first time on this machine; ~10 min cold)"
  "$(dirname "${BASH_SOURCE[0]}")/k8s-build.sh" "$K8S_VERSION" "$1" kube-apiserver
}

build_etcd() {
  local work; work="$(mktemp -d)"
  log "building etcd v${ETCD_VERSION}"
  (
    cd "$work"
    go mod init orgsync.local/build-etcd >/dev/null 2>&1
    cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
    go mod edit -require="go.etcd.io/etcd/server/v3@v${ETCD_VERSION}"
    go mod tidy >/dev/null
    CGO_ENABLED=0 go build -trimpath -o "$1/etcd" go.etcd.io/etcd/server/v3
  )
  rm -rf "$work"
}

mkdir -p "$ASSETS"
# Build into a scratch dir and move into place, so an interrupted build never
# leaves a half-written binary that later runs would trust.
# A binary from before the version stamps is rebuilt (a re-link, with a warm cache).
if [ ! -x "$ASSETS/kube-apiserver" ] || ! "$ASSETS/kube-apiserver" --version | grep -qF "v${K8S_VERSION}"; then
  tmp="$(mktemp -d "$ASSETS/.build.XXXX")"
  build_kube_apiserver "$tmp"
  mv "$tmp/kube-apiserver" "$ASSETS/kube-apiserver"; rm -rf "$tmp"
fi
if [ ! -x "$ASSETS/etcd" ]; then
  tmp="$(mktemp -d "$ASSETS/.build.XXXX")"
  build_etcd "$tmp"
  mv "$tmp/etcd" "$ASSETS/etcd"; rm -rf "$tmp"
fi
# envtest also looks for kubectl in the assets dir; link the machine's one if present.
if [ ! -e "$ASSETS/kubectl" ] && command -v kubectl >/dev/null 2>&1; then
  ln -s "$(command -v kubectl)" "$ASSETS/kubectl"
fi
echo "$ASSETS"
