#!/usr/bin/env bash
# Runs the end-to-end test (test/e2e) on a real one-node cluster: starts the node
# (hack/node/up.sh), imports the operator image that 'make image' built, runs the Go
# test, and stops the node and everything else it started, whatever the outcome.
# Needs root on a Linux machine like CI's. E2E_KEEP=1 keeps the node's directory
# (logs) after the run.
#
# usage: hack/e2e.sh IMAGE_TAR IMAGE_REF
set -euo pipefail

tar="${1:?usage: hack/e2e.sh IMAGE_TAR IMAGE_REF}"
ref="${2:?usage: hack/e2e.sh IMAGE_TAR IMAGE_REF}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$(id -u)" != 0 ] && [ -z "${CI:-}" ]; then
  echo "e2e: skipped: the one-node cluster needs root (cgroups, mounts, network namespaces); CI runs it" >&2
  exit 0
fi
log() { echo "e2e: $(date +%T) $*" >&2; }

helm="$("$root/hack/tool.sh" helm)"
dir="$(mktemp -d "${TMPDIR:-/tmp}/orgsync-e2e.XXXXXX")"
cleanup() {
  NODE_KEEP="${E2E_KEEP:-}" "$root/hack/node/down.sh" "$dir/node"
  if [ "${E2E_KEEP:-}" = 1 ]; then log "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$dir/bin"
go -C "$root" build -o "$dir/bin/cloudsim" ./cmd/cloudsim

start=$(date +%s)
"$root/hack/node/up.sh" "$dir/node" >/dev/null
log "node up in $(( $(date +%s) - start ))s"
# shellcheck disable=SC1091
. "$dir/node/env"
$NODE_CTR images import "$tar" >/dev/null

# With ip_forward 0, a packet that reaches the host for an address that is not its
# own is dropped and counted in InAddrErrors: a pod that sent anything beyond the
# node's forwarders (a ClusterIP, DNS, the internet) shows up here.
addr_errors() { awk '/^Ip: [0-9]/ { print $6 }' /proc/net/snmp; }
before="$(addr_errors)"

log "running test/e2e"
start=$(date +%s)
E2E_HELM="$helm" E2E_CLOUDSIM="$dir/bin/cloudsim" E2E_IMAGE="$ref" E2E_WORK="$dir" \
  go -C "$root" test -tags e2e ./test/e2e -count=1 -v -timeout 25m
log "test/e2e took $(( $(date +%s) - start ))s"
after="$(addr_errors)"
if [ "$after" != "$before" ]; then
  log "error: the host dropped $((after - before)) packets sent to addresses that are not its own (IP InAddrErrors)"
  exit 1
fi
log "no packet left the node's own addresses (IP InAddrErrors unchanged at $after)"
