#!/usr/bin/env bash
# The test command: builds the solution (which fetches ONNX Runtime's native library on first use)
# and runs every test project in Release, so the training tests run at full speed.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet test BitOnnx.sln -c Release "$@"
