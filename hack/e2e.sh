#!/usr/bin/env bash
# Runs the end-to-end test (test/e2e) on a real one-node cluster, installing the
# operator the way a user does: from an OCI registry. It starts a registry on
# loopback (test/node/registry), publishes two releases to it with the release
# tooling ('make release' for this tree; the previous release built from its
# commit), starts the node (hack/node/up.sh) with containerd pulling from that
# registry, runs the Go test, and stops everything it started, whatever the outcome.
# Needs root on a Linux machine like CI's. E2E_KEEP=1 keeps the work directory
# (logs) after the run.
#
# The previous release: no release has been published anywhere this test can
# reach, so it is rebuilt here from its commit, E2E_PREVIOUS_RELEASE (the Makefile's
# PREVIOUS_RELEASE): that commit's operator binary (linux/amd64) and chart, packed
# and published with this tree's build-image and release commands.
#
# usage: hack/e2e.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$(id -u)" != 0 ] && [ -z "${CI:-}" ]; then
  echo "e2e: skipped: the one-node cluster needs root (cgroups, mounts, network namespaces); CI runs it" >&2
  exit 0
fi
previous="${E2E_PREVIOUS_RELEASE:?set E2E_PREVIOUS_RELEASE to the commit of the previous release, as make test-e2e does}"
# The previous release is rebuilt from its commit: a shallow clone (CI's default
# checkout) lacks it, and would fail only after this tree's release was built.
if ! git -C "$root" cat-file -e "$previous^{commit}" 2>/dev/null; then
  echo "e2e: error: the previous release's commit $previous is not in this clone (a shallow clone? fetch it, or the full history: git fetch --unshallow)" >&2
  exit 1
fi
registry="127.0.0.1:${E2E_REGISTRY_PORT:-15000}"
log() { echo "e2e: $(date +%T) $*" >&2; }

helm="$("$root/hack/tool.sh" helm)"
cyclonedx="$("$root/hack/tool.sh" cyclonedx-gomod)"
dir="$(mktemp -d "${TMPDIR:-/tmp}/orgsync-e2e.XXXXXX")"
registry_pid=""
cleanup() {
  NODE_KEEP="${E2E_KEEP:-}" "$root/hack/node/down.sh" "$dir/node"
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  if [ "${E2E_KEEP:-}" = 1 ]; then log "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$dir/bin"
go -C "$root" build -o "$dir/bin/cloudsim" ./cmd/cloudsim
go -C "$root" build -o "$dir/bin/registry" ./test/node/registry

"$dir/bin/registry" -addr "$registry" 2>"$dir/registry.log" &
registry_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/${registry%:*}/${registry#*:}") 2>/dev/null && break
  kill -0 "$registry_pid" 2>/dev/null || { cat "$dir/registry.log" >&2; exit 1; }
  sleep 0.1
done
log "registry on $registry"

start=$(date +%s)
# Helm keeps its registry config and caches apart from the user's.
export HELM_CACHE_HOME="$dir/helm/cache" HELM_CONFIG_HOME="$dir/helm/config" HELM_DATA_HOME="$dir/helm/data"
make -C "$root" --no-print-directory release REGISTRY="$registry" \
  IMAGE_TAR="$dir/image.tar" RELEASE_RESULT="$dir/release.env" >&2
log "released this tree in $(( $(date +%s) - start ))s"

start=$(date +%s)
mkdir -p "$dir/previous"
git -C "$root" archive "$previous" | tar -x -C "$dir/previous"
prev_version="$(awk '/^appVersion:/ { gsub(/"/, "", $2); print $2 }' "$dir/previous/charts/orgsync/Chart.yaml")"
# Built as 'make image' builds (IMAGE_GOFLAGS, IMAGE_GOENV).
CGO_ENABLED=0 GOAMD64=v1 GOOS=linux GOARCH=amd64 go -C "$dir/previous" build -trimpath -buildvcs=false -ldflags="-s -w" -o "$dir/previous-manager" .
go -C "$root" run ./cmd/build-image -binary "amd64=$dir/previous-manager" -ref "$registry/orgsync:$prev_version" \
  -version "$prev_version" -revision "$previous" -out "$dir/previous.tar" >&2
GOOS=linux GOARCH=amd64 "$cyclonedx" bin -json -noserial -notimestamp -version "v$prev_version" \
  -output "$dir/previous.cdx.json" "$dir/previous-manager"
go -C "$root" run ./cmd/release -registry "$registry" -version "$prev_version" -archive "$dir/previous.tar" \
  -sbom "amd64=$dir/previous.cdx.json" -chart "$dir/previous/charts/orgsync" -helm "$helm" \
  -result "$dir/previous.env" >&2
log "released the previous release ($prev_version, commit ${previous:0:12}) in $(( $(date +%s) - start ))s"

start=$(date +%s)
NODE_REGISTRY="$registry" "$root/hack/node/up.sh" "$dir/node" >/dev/null
log "node up in $(( $(date +%s) - start ))s"
# shellcheck disable=SC1091
. "$dir/node/env"

# With ip_forward 0, a packet that reaches the host for an address that is not its
# own is dropped and counted in InAddrErrors: a pod that sent anything beyond the
# node's forwarders (a ClusterIP, DNS, the internet) shows up here.
addr_errors() { awk '/^Ip: [0-9]/ { print $6 }' /proc/net/snmp; }
before="$(addr_errors)"

# release.env and previous.env: IMAGE, CHART, CHART_VERSION, ...
value() { sed -n "s/^$2=//p" "$1"; }
log "running test/e2e"
start=$(date +%s)
E2E_HELM="$helm" E2E_CLOUDSIM="$dir/bin/cloudsim" E2E_WORK="$dir" E2E_REGISTRY_LOG="$dir/registry.log" \
E2E_CHART="$(value "$dir/release.env" CHART)" \
E2E_VERSION="$(value "$dir/release.env" CHART_VERSION)" E2E_IMAGE="$(value "$dir/release.env" IMAGE)" \
E2E_PREVIOUS_VERSION="$(value "$dir/previous.env" CHART_VERSION)" E2E_PREVIOUS_IMAGE="$(value "$dir/previous.env" IMAGE)" \
  go -C "$root" test -tags e2e ./test/e2e -count=1 -v -timeout 25m
log "test/e2e took $(( $(date +%s) - start ))s"
after="$(addr_errors)"
if [ "$after" != "$before" ]; then
  log "error: the host dropped $((after - before)) packets sent to addresses that are not its own (IP InAddrErrors)"
  exit 1
fi
log "no packet left the node's own addresses (IP InAddrErrors unchanged at $after)"
