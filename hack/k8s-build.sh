#!/usr/bin/env bash
# Builds commands of k8s.io/kubernetes from Go sources through the module proxy, with
# the version stamps a release build has (unstamped, every binary reports
# v0.0.0-master+$Format:%H$, which kubectl and Helm cannot parse), into OUTDIR.
# Shared by hack/envtest-assets.sh and hack/node/assets.sh.
#
# usage: hack/k8s-build.sh VERSION OUTDIR CMD...   (CMD: kube-apiserver, kubelet, kubectl, …)
set -euo pipefail

version="${1:?usage: k8s-build.sh VERSION OUTDIR CMD...}"
out="${2:?usage: k8s-build.sh VERSION OUTDIR CMD...}"
shift 2
[ "$#" -gt 0 ] || { echo "k8s-build.sh: name at least one command" >&2; exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init orgsync.local/build-kubernetes >/dev/null 2>&1
# k8s.io/kubernetes requires its staging modules at v0.0.0; pin each to the
# published tag of the same minor/patch.
modfile="$(go mod download -json "k8s.io/kubernetes@v${version}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
go mod edit -require="k8s.io/kubernetes@v${version}"
for m in $(awk '/^\tk8s.io\/[^ ]+ v0\.0\.0$/ {print $1}' "$modfile" | sort -u); do
  go mod edit -replace="${m}=${m}@v0.${version#1.}"
done
pkgs=()
{
  printf '//go:build tools\n\npackage tools\n\nimport (\n'
  for c in "$@"; do
    printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c"
    pkgs+=("k8s.io/kubernetes/cmd/$c")
  done
  printf ')\n'
} > tools.go
go mod tidy >/dev/null

major="${version%%.*}"; rest="${version#*.}"; minor="${rest%%.*}"
# A fixed build date keeps the binaries the same from one build to the next.
stamps=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamps+=" -X $p.gitVersion=v${version} -X $p.gitMajor=${major} -X $p.gitMinor=${minor}"
  stamps+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
# One go build for all commands, so shared packages compile once. Built into a
# scratch dir and moved, so an interrupted build leaves nothing that looks done.
mkdir -p "$work/bin"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w${stamps}" -o "$work/bin/" "${pkgs[@]}"
for c in "$@"; do
  mv "$work/bin/$c" "$out/$c"
done
