#!/usr/bin/env bash
# Prints the repository's Go fuzz targets, one "IMPORT-PATH FuncName" a line, read from
# the test sources. 'go test -list' would tell the same, but it builds and links every
# package's test binary to do so: minutes on a cold machine, for a list of names.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

files="$(grep -rl --include='*_test.go' --exclude-dir=testdata --exclude-dir=bin --exclude-dir=.git -E '^func Fuzz[A-Za-z0-9_]*\(' . || true)"
[ -n "$files" ] || exit 0
for file in $files; do
  pkg="$(go list "./$(dirname "${file#./}")")"
  grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | while read -r _ name; do echo "$pkg $name"; done
done | sort -u
