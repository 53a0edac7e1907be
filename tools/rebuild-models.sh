#!/usr/bin/env bash
# Retrains shipped models from the `bitonnx train` command on their cards (models/NAME/README.md) and checks that
# the new model.safetensors is byte for byte the shipped one. Training is deterministic on any x86-64 with FMA,
# AVX2 or AVX-512, for any thread count (docs/speed-and-grokfast.md), so a mismatch is a bug worth reporting.
#
# Usage: tools/rebuild-models.sh [NAME ...]   (default: every folder of models/; the three 10,000-epoch models take
#   about 10 minutes each on 2 cores, add5-fp with its 100,000 evaluation questions as long). BITONNX=path/to/bitonnx to use a built CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BITONNX:-}" ]; then
  dotnet build -c Release src/BitOnnx.Cli -v quiet -nologo > /dev/null
  bitonnx="dotnet src/BitOnnx.Cli/bin/Release/net10.0/bitonnx.dll"
else
  bitonnx=$BITONNX
fi
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(ls models)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
for name in "${names[@]}"; do
  card="models/$name/README.md"
  [ -f "$card" ] || { echo "error: no card $card (models: $(ls models | tr '\n' ' '))" >&2; exit 2; }
  # The card's command, with its run folder replaced by a scratch one.
  command=$(grep -oE 'bitonnx train [^`]*--out [^ `]+' "$card" | head -n 1)
  [ -n "$command" ] || { echo "error: $card names no 'bitonnx train ... --out DIR' command" >&2; exit 2; }
  args=${command#bitonnx train }
  args=${args% --out *}
  echo "$name: bitonnx train $args"
  # shellcheck disable=SC2086
  $bitonnx train $args --out "$scratch/$name" > "$scratch/$name.log" 2>&1 || { tail -n 5 "$scratch/$name.log"; failed=1; continue; }
  shipped=$(sha256sum < "models/$name/model.safetensors" | cut -d' ' -f1)
  rebuilt=$(sha256sum < "$scratch/$name/model.safetensors" | cut -d' ' -f1)
  if [ "$shipped" = "$rebuilt" ]; then
    echo "$name: identical (sha256 $shipped)"
  else
    echo "$name: DIFFERENT: shipped $shipped, rebuilt $rebuilt"
    failed=1
  fi
done
exit $failed
