#!/usr/bin/env bash
# The test command: builds the solution and runs every test project in Release, so the training tests run at full
# speed; then proves that the CUDA flavor of ONNX Runtime builds (-p:OnnxRuntimeFlavor=cuda swaps in
# Microsoft.ML.OnnxRuntime.Gpu.Linux, a 245 MB package fetched once) by building BitOnnx.Onnx.Tests with it and running
# those tests there (no GPU needed: the CPU provider of the GPU package runs them, and CUDA reports what is missing).
# The CUDA flavor writes to artifacts/cuda/, never over the CPU build.
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
# The sweep's Slurm test submits the emitted job array to a local Slurm it starts (munged, slurmctld, slurmd): install
# Debian's slurm-wlm and munge when missing and we are root (under a minute, once).
if ! [ -x /usr/sbin/slurmctld ] || ! [ -x /usr/sbin/munged ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tools/test.sh: installing slurm-wlm and munge for the Slurm sweep test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge) >/dev/null 2>&1 \
      || echo "tools/test.sh: note: could not install slurm-wlm and munge; the Slurm sweep test will be inconclusive"
  else
    echo "tools/test.sh: note: slurmctld or munged not found (install slurm-wlm and munge as root); the Slurm sweep test will be inconclusive"
  fi
fi
dotnet test BitOnnx.sln -c Release "$@"
# One style (.editorconfig): fails, naming each file, when the code was not formatted with `dotnet format BitOnnx.sln`.
dotnet format BitOnnx.sln --verify-no-changes -v quiet
dotnet build tests/BitOnnx.Onnx.Tests -c Release -p:OnnxRuntimeFlavor=cuda -nologo -v quiet
dotnet test artifacts/cuda/bin/BitOnnx.Onnx.Tests/Release/net10.0/BitOnnx.Onnx.Tests.dll
