#!/usr/bin/env bash
# The test command: builds the solution (which fetches ONNX Runtime's native library on first use)
# and runs every test project in Release, so the training tests run at full speed.
set -euo pipefail
cd "$(dirname "$0")/.."
# The report-page test renders the HTML report in headless Chromium: install it when missing and we are root.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tools/test.sh: installing chromium for the report-page test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || echo "tools/test.sh: note: could not install chromium; the report-page test will be inconclusive"
  else
    echo "tools/test.sh: note: chromium not found (install the package 'chromium' as root); the report-page test will be inconclusive"
  fi
fi
dotnet test BitOnnx.sln -c Release "$@"
