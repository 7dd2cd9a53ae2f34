#!/usr/bin/env bash
# gateway.js_sdk: installs the AWS SDK for JavaScript v3 into MODULES_DIR when it is not there yet
# (tests/gateway/js/install.sh) and runs tests/gateway/js_sdk_test.mjs against a real broker.
#
#   tests/gateway/js_sdk_test.sh build/pinstream build/js
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pinstream=${1:?usage: js_sdk_test.sh PINSTREAM_BINARY MODULES_DIR}
modules=${2:?usage: js_sdk_test.sh PINSTREAM_BINARY MODULES_DIR}
if ! command -v node >/dev/null; then
  echo "FAIL: node is missing; ./run installs Debian's nodejs and npm" >&2
  exit 1
fi
"$here/js/install.sh" "$modules"
exec node "$here/js_sdk_test.mjs" "$pinstream" "$modules"
