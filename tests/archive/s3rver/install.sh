#!/usr/bin/env bash
# Installs s3rver (package.json and package-lock.json beside this script) into DIR/node_modules
# with `npm ci`: exactly the locked versions, from the npm registry. Skips the install while DIR
# holds the same lockfile, so only the first run (or a new lockfile) downloads.
#
#   tests/archive/s3rver/install.sh build/s3rver
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: install.sh DIR}
if [ -d "$dir/node_modules/s3rver" ] && cmp -s "$here/package-lock.json" "$dir/package-lock.json"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "install.sh: npm is missing; ./run installs Debian's nodejs and npm" >&2
  exit 1
fi
mkdir -p "$dir"
cp "$here/package.json" "$here/package-lock.json" "$dir/"
echo "install.sh: installing s3rver into $dir" >&2
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
