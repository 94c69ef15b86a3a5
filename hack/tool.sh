#!/usr/bin/env bash
# Builds a pinned Go tool once per machine and prints the path of its binary.
#
# Each tool has its own module under hack/tools/<name>/ (a go.mod with a 'tool'
# directive, and its go.sum), so tools never force each other's dependency versions.
# The binary is cached per user, keyed by a hash of that go.mod and go.sum, as
# hack/envtest-assets.sh caches the control plane: a fresh clone on the same machine
# pays nothing, and a version bump builds anew. bin/<name> links to the cached binary.
#
# usage: hack/tool.sh NAME
set -euo pipefail

name="${1:?usage: hack/tool.sh NAME}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mod="$root/hack/tools/$name"
[ -f "$mod/go.mod" ] || { echo "tool.sh: no module at hack/tools/$name" >&2; exit 2; }

inputs=("$mod/go.mod" "$mod/go.sum" "${BASH_SOURCE[0]}")
for f in ldflags tags; do [ ! -f "$mod/$f" ] || inputs+=("$mod/$f"); done
key="$(cat "${inputs[@]}" | sha256sum | cut -c1-16)"
cache_root="${ORGSYNC_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orgsync/tools}"
dir="$cache_root/$name-$(go env GOOS)-$(go env GOARCH)-$key"
bin="$dir/$name"

if [ ! -x "$bin" ]; then
  echo "tool.sh: building $name (first time on this machine for this version)" >&2
  mkdir -p "$cache_root"
  tmp="$(mktemp -d "$cache_root/.build-$name.XXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # An optional ldflags file stamps versions that the tool would otherwise print as unknown.
  ldflags=""
  [ -f "$mod/ldflags" ] && ldflags="$(cat "$mod/ldflags")"
  # An optional tags file names build tags that leave out what the project never uses.
  tags=""
  [ -f "$mod/tags" ] && tags="$(cat "$mod/tags")"
  pkg="$(go -C "$mod" list tool | head -n 1)"
  CGO_ENABLED=0 go -C "$mod" build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$tmp/$name" "$pkg"
  # Move into place only once built, so an interrupted build leaves nothing to trust.
  mkdir -p "$dir"
  mv "$tmp/$name" "$bin"
fi

mkdir -p "$root/bin"
ln -sfn "$bin" "$root/bin/$name"
echo "$bin"
