#!/usr/bin/env bash
# Installs the npm packages locked in PACKAGES (a folder with package.json and package-lock.json)
# into DIR/node_modules with `npm ci`: exactly the locked versions, from the npm registry. Skips
# the install while DIR holds the same lockfile, so only the first run (or a new lockfile)
# downloads. Used by tests/gateway/js/install.sh and tests/archive/s3rver/install.sh.
#
#   tests/npm_ci.sh tests/gateway/js build/js
set -euo pipefail
packages=$(cd "${1:?usage: npm_ci.sh PACKAGES DIR}" && pwd)
dir=${2:?usage: npm_ci.sh PACKAGES DIR}
if [ -d "$dir/node_modules" ] && cmp -s "$packages/package-lock.json" "$dir/package-lock.json"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm_ci.sh: npm is missing; ./run installs Debian's nodejs and npm" >&2
  exit 1
fi
mkdir -p "$dir"
cp "$packages/package.json" "$packages/package-lock.json" "$dir/"
echo "npm_ci.sh: installing $(basename "$packages")'s locked packages into $dir" >&2
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
