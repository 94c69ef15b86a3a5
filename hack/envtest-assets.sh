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

# version_ldflags stamps the release into a Kubernetes build. Without it the server
# reports v0.0.0-master+$Format:%H$, which Helm and kubectl cannot parse.
version_ldflags() {
  local minor="${K8S_VERSION#1.}"; minor="${minor%%.*}"
  local v="v${K8S_VERSION}" f
  for f in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- '-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean -X %s.buildDate=1970-01-01T00:00:00Z ' \
      "$f" "$v" "$f" "$f" "$minor" "$f" "$f"
  done
}

build_kube_apiserver() {
  local work; work="$(mktemp -d)"
  log "building kube-apiserver v${K8S_VERSION} (first time on this machine; ~10 min cold)"
  (
    cd "$work"
    go mod init orgsync.local/build-kube-apiserver >/dev/null 2>&1
    # k8s.io/kubernetes requires its staging modules at v0.0.0; pin each to the
    # published tag of the same minor/patch.
    local modfile
    modfile="$(go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    go mod edit -require="k8s.io/kubernetes@v${K8S_VERSION}"
    for m in $(awk '/^\tk8s.io\/[^ ]+ v0\.0\.0$/ {print $1}' "$modfile" | sort -u); do
      go mod edit -replace="${m}=${m}@v0.${K8S_VERSION#1.}"
    done
    cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
    go mod tidy >/dev/null
    CGO_ENABLED=0 go build -trimpath -ldflags "$(version_ldflags)" -o "$1/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  ) 
  rm -rf "$work"
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
