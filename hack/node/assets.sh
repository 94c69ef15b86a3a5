#!/usr/bin/env bash
# Makes sure everything a one-node cluster needs is built or fetched, once per user,
# and prints shell assignments naming where it is (eval them):
#   NODE_K8S  kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl
#             (built from Go sources with version stamps by hack/k8s-build.sh)
#   NODE_DEB  containerd, runc and the CNI plugins, extracted from Debian packages
#             (apt-get download + dpkg-deb -x: nothing is installed, no service starts)
#   NODE_ETCD etcd, the one hack/envtest-assets.sh builds
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
K8S_VERSION="${NODE_K8S_VERSION:-1.37.2}"
# Pinned so the cache key names what is inside; bookworm's versions.
DEBS=(containerd=1.6.20~ds1-1+deb12u3 runc=1.1.5+ds1-1+deb12u1 containernetworking-plugins=1.1.1+ds1-3+b5)
arch="$(go env GOARCH)"
cache="${ORGSYNC_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orgsync/node}"
k8s="$cache/k8s-${K8S_VERSION}-$(go env GOOS)-${arch}"
deb="$cache/debian-${arch}-$(printf '%s\n' "${DEBS[@]}" | sha256sum | cut -c1-12)"

log() { echo "node-assets: $*" >&2; }
mkdir -p "$cache"

cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
missing=()
for c in "${cmds[@]}"; do [ -x "$k8s/$c" ] || missing+=("$c"); done
if [ "${#missing[@]}" -gt 0 ]; then
  log "building ${missing[*]} v${K8S_VERSION} (first time on this machine)"
  "$root/hack/k8s-build.sh" "$K8S_VERSION" "$k8s" "${missing[@]}"
fi

if [ ! -x "$deb/usr/bin/containerd" ]; then
  log "fetching ${DEBS[*]}"
  tmp="$(mktemp -d "$cache/.debs.XXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # apt-get download needs the package lists; a bare machine may have none yet.
  if ! (cd "$tmp" && apt-get download "${DEBS[@]}" >&2); then
    apt-get update >&2
    (cd "$tmp" && apt-get download "${DEBS[@]}" >&2)
  fi
  for f in "$tmp"/*.deb; do dpkg-deb -x "$f" "$tmp/root"; done
  rm -rf "$deb"
  mv "$tmp/root" "$deb"
fi

etcd_dir="$("$root/hack/envtest-assets.sh")"
printf 'NODE_K8S=%q\nNODE_DEB=%q\nNODE_ETCD=%q\n' "$k8s" "$deb" "$etcd_dir/etcd"
