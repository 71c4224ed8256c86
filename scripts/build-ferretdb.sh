#!/bin/sh
# Builds the FerretDB test server (test/ferretdb-server, FerretDB v1.24.2 embedded) into
# .cache/ferretdb/, only when its sources changed since the last build. The first build downloads
# FerretDB's modules from the Go module proxy and compiles them: about a minute and a half on 2 cores.
set -eu
cd "$(dirname "$0")/.."

src=test/ferretdb-server
out=.cache/ferretdb
binary=$out/ferretdb-test-server

if ! command -v go >/dev/null 2>&1; then
  echo "build-ferretdb: the FerretDB test lane needs Go 1.24 or newer (go is not on PATH); npm test does not." >&2
  exit 1
fi
version=$(go env GOVERSION | sed 's/^go//')
major=$(echo "$version" | cut -d. -f1)
minor=$(echo "$version" | cut -d. -f2)
if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 24 ]; }; then
  echo "build-ferretdb: the FerretDB test lane needs Go 1.24 or newer; this is Go $version." >&2
  exit 1
fi

stamp=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -d' ' -f1)
if [ -x "$binary" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

mkdir -p "$out"
echo "build-ferretdb: building the FerretDB test server (first time: downloads and compiles FerretDB)" >&2
started=$(date +%s)
(cd "$src" && go build -trimpath -o "../../$binary.tmp" .)
mv "$binary.tmp" "$binary"
echo "$stamp" > "$out/stamp"
echo "build-ferretdb: built $binary in $(( $(date +%s) - started )) s" >&2
