#!/usr/bin/env bash
# Installs s3rver (package-lock.json beside this script) into DIR/node_modules, once per
# lockfile (tests/npm_ci.sh).
#
#   tests/archive/s3rver/install.sh build/s3rver
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../npm_ci.sh" "$here" "${1:?usage: install.sh DIR}"
