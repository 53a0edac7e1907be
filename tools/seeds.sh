#!/usr/bin/env bash
# Five seeds of the five models of docs/fully-quantized.md, with resume: rerunning continues unfinished runs and
# skips finished ones. Each run trains up to 10,000 epochs (stopping at 99% test accuracy where the CLI has
# --stop-at-acc), keeps its final checkpoint for the progress measures, exports (int8 with every probe; int2 without
# probes), verifies on ONNX Runtime and is analysed. Writes OUT/table.tsv: one row per run.
# Usage: tools/seeds.sh [OUT=runs/seeds] [SEEDS="0 1 2 3 4"]; BITONNX=path/to/bitonnx to use a built CLI.
set -euo pipefail
out=${1:-runs/seeds}
seeds=${2:-"0 1 2 3 4"}
bitonnx=${BITONNX:-"dotnet tool run bitonnx"}
threads=${THREADS:-1}
declare -A models=(
  [li2024-binary]="--preset li2024 --quant binary"
  [li2024-ternary]="--preset li2024 --quant ternary"
  [nanda2023-fp]="--preset nanda2023 --quant none"
  [li2024-binary-all]="--preset li2024 --quant binary --binary-scale absmean --quant-scope all"
  [li2024-ternary-all]="--preset li2024 --quant ternary --quant-scope all"
)
stop=""
if $bitonnx train --help 2>/dev/null | grep -q -- "--stop-at-acc"; then stop="--stop-at-acc 0.99"; fi
mkdir -p "$out"
printf 'model\tseed\tfirst_epoch_99\tlast_epoch\ttrain_loss\ttest_loss\ttest_acc\tint2_bytes\n' > "$out/table.tsv"
for name in li2024-binary li2024-ternary nanda2023-fp li2024-binary-all li2024-ternary-all; do
  for seed in $seeds; do
    run="$out/$name-s$seed"
    # nanda2023 full precision groks later than 10,000 epochs for some seeds (docs/reproduction.md): give it 25,000.
    epochs=10000; [ "$name" = nanda2023-fp ] && epochs=25000
    if [ ! -f "$run/done" ]; then
      resume=""; [ -f "$run/resume.safetensors" ] && resume="--resume"
      # shellcheck disable=SC2086
      $bitonnx train ${models[$name]} --p 113 --epochs $epochs --seed "$seed" --threads "$threads" $stop --out "$run" $resume
      touch "$run/done"
    fi
    last=$(tail -n 1 "$run/metrics.csv" | cut -d, -f1)
    mkdir -p "$run/checkpoints"
    cp -n "$run/model.safetensors" "$run/checkpoints/epoch-$(printf %06d "$last").safetensors"
    $bitonnx export "$run/model.safetensors" --weights int8 --probes all -o "$run/$name.onnx" > /dev/null
    int2=-
    if [ "$name" != nanda2023-fp ]; then
      $bitonnx export "$run/model.safetensors" --weights int2 -o "$run/$name-int2.onnx" > /dev/null
      $bitonnx verify "$run/$name-int2.onnx" "$run/model.safetensors" | tail -n 1
      int2=$(stat -c %s "$run/$name-int2.onnx")
    fi
    [ -f "$run/report/summary.json" ] || $bitonnx analyze "$run/$name.onnx" --run "$run" -o "$run/report" | tail -n 4
    awk -F, -v m="$name" -v s="$seed" -v b="$int2" 'NR > 1 { if (first == "" && $4 >= 0.99) first = $1; row = $0 }
      END { split(row, r, ","); printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m, s, first == "" ? "-" : first, r[1], r[2], r[3], r[4], b }' \
      "$run/metrics.csv" >> "$out/table.tsv"
  done
done
# Mean ± sd over seeds of the first epoch at 99% and of the final losses.
awk -F'\t' 'NR > 1 { n[$1]++; if ($3 != "-") { e[$1] += $3; e2[$1] += $3 * $3; k[$1]++ } tr[$1] += $5; tr2[$1] += $5 * $5; te[$1] += $6; te2[$1] += $6 * $6 }
  function sd(s, s2, c) { return c > 1 ? sqrt((s2 - s * s / c) / (c - 1)) : 0 }
  END { for (m in n) printf "%s: %d runs, %d reached 99%%, first epoch at 99%% %.0f ± %.0f, train loss %.4g ± %.2g, test loss %.4g ± %.2g\n",
    m, n[m], k[m], k[m] ? e[m] / k[m] : 0, sd(e[m], e2[m], k[m]), tr[m] / n[m], sd(tr[m], tr2[m], n[m]), te[m] / n[m], sd(te[m], te2[m], n[m]) }' "$out/table.tsv"
