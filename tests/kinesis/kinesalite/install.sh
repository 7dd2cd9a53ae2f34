#!/usr/bin/env bash
# Installs kinesalite (package-lock.json beside this script) into DIR/node_modules, once per
# lockfile (tests/npm_ci.sh).
#
#   tests/kinesis/kinesalite/install.sh build/kinesalite
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../npm_ci.sh" "$here" "${1:?usage: install.sh DIR}"
