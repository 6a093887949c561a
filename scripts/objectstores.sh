#!/usr/bin/env bash
# Install the object-store emulators that pkg/uri's tests start themselves.
#
#   S3   gofakes3, in process (a Go test dependency: nothing to install)
#   GCS  fake-gcs-server, in process (a Go test dependency: nothing to install)
#   Azure Azurite (npm package "azurite"), installed here
#
# Azurite goes to $RECOTEM_OBJECTSTORES_PREFIX (default
# ~/.cache/recotem-objectstores), where the tests look for
# node_modules/.bin/azurite-blob; they skip the Azure test when it is missing.
# The script is idempotent and prints the azurite-blob path on stdout, so
#   export AZURITE_BLOB=$(bash scripts/objectstores.sh)
# also works. Progress goes to stderr.
set -euo pipefail

version=3.37.0
prefix=${RECOTEM_OBJECTSTORES_PREFIX:-$HOME/.cache/recotem-objectstores}
bin=$prefix/node_modules/.bin/azurite-blob

if [ -x "$bin" ] && grep -q "\"version\": \"$version\"" "$prefix/node_modules/azurite/package.json" 2>/dev/null; then
	echo "$bin"
	exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
	if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
		echo "objectstores: installing nodejs and npm (Debian packages)" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq nodejs npm >&2
	else
		echo "objectstores: npm not found; the Azure tests will be skipped" >&2
		exit 1
	fi
fi

echo "objectstores: npm install azurite@$version into $prefix" >&2
mkdir -p "$prefix"
# Azurite declares node >= 22 but its blob service runs on the node 20 of
# Debian stable; the engine warning is expected there.
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "azurite@$version" >&2
[ -x "$bin" ] || { echo "objectstores: $bin missing after install" >&2; exit 1; }
echo "$bin"
