#!/usr/bin/env bash
# Installs the JavaScript tests' packages (package-lock.json beside this script) into
# DIR/node_modules, once per lockfile (tests/npm_ci.sh).
#
#   tests/gateway/js/install.sh build/js
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../npm_ci.sh" "$here" "${1:?usage: install.sh DIR}"
