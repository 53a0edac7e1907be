#!/usr/bin/env bash
# Times ML.NET model zips in a plain ML.NET app (tests/BitOnnx.PlainMlNet.Timing: Microsoft.ML,
# Microsoft.ML.OnnxTransformer and Microsoft.ML.OnnxRuntime only) built against each ML.NET version named, under each
# ONNX Runtime session setting and .NET runtime variant: one fresh process per measurement, taken in turn round by
# round so that a busy stretch of a shared machine falls on all of them alike. Prints every run's line, then the
# medians per zip, version, setting and variant (src/BitOnnx.ML/README.md quotes them).
#
#   tools/mlnet-timing.sh [ROUNDS]            (default 5)
#   ZIPS="a.zip b.zip" MLNET_VERSIONS="5.0.1 6.0.0" SETTINGS="default one-thread" VARIANTS="plain pgo-off" tools/mlnet-timing.sh 7
#   ORT_VERSION=1.32.0 tools/mlnet-timing.sh      (another Microsoft.ML.OnnxRuntime than Directory.Packages.props pins)
#
# Settings (the app's): default (nothing set), one-thread (IntraOpNumThreads = 1), two-threads (IntraOpNumThreads = 2),
# no-spin (ONNX Runtime's default threads, session.intra_op.allow_spinning = 0).
# Variants: plain (as a user runs it), pgo-off (DOTNET_TieredPGO=0), tiered-off (DOTNET_TieredCompilation=0: every
# method compiled once, fully optimized), ready-to-run-off (DOTNET_ReadyToRun=0: the framework's precompiled code unused),
# no-call-count-delay (DOTNET_TC_CallCountingDelayMs=0: hot methods recompiled optimized without the 100 ms wait),
# published-r2r (the app published with -p:PublishReadyToRun=true: ML.NET's assemblies precompiled too).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-5}
versions=${MLNET_VERSIONS:-"5.0.1 6.0.0"}
settings=${SETTINGS:-"default one-thread two-threads no-spin"}
variants=${VARIANTS:-"plain"}
zips=${ZIPS:-models/li2024-binary/model.zip}
ort=${ORT_VERSION:-}
project=tests/BitOnnx.PlainMlNet.Timing
log=artifacts/mlnet-timing/runs.txt

build_of() { echo "artifacts/mlnet-timing/$1${ort:+-ort$ort}"; }
for v in $versions; do
  dotnet build "$project" -c Release -p:MlNetVersion="$v" ${ort:+-p:OnnxRuntimeVersion=$ort} --artifacts-path "$(build_of "$v")" -nologo -v q >&2
  if [[ " $variants " == *" published-r2r "* ]]; then
    dotnet publish "$project" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -p:MlNetVersion="$v" \
      ${ort:+-p:OnnxRuntimeVersion=$ort} --artifacts-path "$(build_of "$v")-r2r" -nologo -v q >&2
  fi
done
app_of() {
  if [ "$2" = published-r2r ]; then echo "$(build_of "$1")-r2r/publish/BitOnnx.PlainMlNet.Timing/release_linux-x64/BitOnnx.PlainMlNet.Timing.dll"
  else echo "$(build_of "$1")/bin/BitOnnx.PlainMlNet.Timing/release/BitOnnx.PlainMlNet.Timing.dll"; fi
}

environment_of() {
  case "$1" in
    plain) echo "" ;;
    pgo-off) echo "DOTNET_TieredPGO=0" ;;
    tiered-off) echo "DOTNET_TieredCompilation=0" ;;
    ready-to-run-off) echo "DOTNET_ReadyToRun=0" ;;
    no-call-count-delay) echo "DOTNET_TC_CallCountingDelayMs=0" ;;
    published-r2r) echo "" ;;
    *) echo "tools/mlnet-timing.sh: unknown variant '$1' (plain, pgo-off, tiered-off, ready-to-run-off, no-call-count-delay, published-r2r)" >&2; exit 2 ;;
  esac
}

mkdir -p artifacts/mlnet-timing
echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p') (family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p')), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$log"
combinations=()
for zip in $zips; do for variant in $variants; do for setting in $settings; do for v in $versions; do
  combinations+=("$zip $variant $setting $v")
done; done; done; done
for ((round = 1; round <= rounds; round++)); do
  # Odd rounds go through the combinations forwards, even rounds backwards: a load that rises or falls over a round
  # (the machine is shared) then weighs on every combination alike.
  for ((i = 0; i < ${#combinations[@]}; i++)); do
    if ((round % 2)); then c=${combinations[i]}; else c=${combinations[${#combinations[@]} - 1 - i]}; fi
    read -r zip variant setting v <<<"$c"
    line=$(env $(environment_of "$variant") dotnet "$(app_of "$v" "$variant")" "$zip" "$setting")
    echo "round=$round zip=$zip variant=$variant $line" | tee -a "$log"
  done
done
echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"

echo
echo "medians over $rounds rounds (ms; first row: until the first Transform's first row; its jit: the JIT time the"
echo "scoring thread spent before it; jit / jit here: JIT time of all threads / of the scoring thread during the first"
echo "Transform; cpu: process CPU time of a warm Transform, all threads):"
awk '
  /^#/ { next }
  { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    key = f["zip"] " " f["mlnet"] " " f["ort"] " " f["setting"] " " f["variant"]
    if (!(key in n)) order[++keys] = key
    c = ++n[key]
    load[key, c] = f["load_ms"]; first[key, c] = f["first_ms"]; row[key, c] = f["first_row_ms"]; warm[key, c] = f["warm_ms"]
    jit[key, c] = f["first_jit_ms"]; here[key, c] = f["first_jit_here_ms"]; rowjit[key, c] = f["first_row_jit_here_ms"]; cpu[key, c] = f["warm_cpu_ms"]; delete f }
  function median(a, key, count,   i, j, t, v) {
    for (i = 1; i <= count; i++) v[i] = a[key, i] + 0
    for (i = 2; i <= count; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return count % 2 ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2 }
  END {
    printf "%-34s %-7s %-7s %-12s %-19s %5s %6s %9s %7s %6s %8s %6s %6s %8s\n", "zip", "ML.NET", "ORT", "setting", "variant", "load", "first", "first row", "its jit", "jit", "jit here", "warm", "cpu", "1st/warm"
    for (k = 1; k <= keys; k++) { key = order[k]; split(key, p, " "); c = n[key]
      fm = median(first, key, c); wm = median(warm, key, c)
      printf "%-34s %-7s %-7s %-12s %-19s %5.0f %6.0f %9.0f %7.0f %6.0f %8.0f %6.0f %6.0f %8.2f\n", p[1], p[2], p[3], p[4], p[5], median(load, key, c), fm, median(row, key, c), median(rowjit, key, c), median(jit, key, c), median(here, key, c), wm, median(cpu, key, c), fm / wm } }
' "$log"

# Paired ratios: each measurement against the one of the first setting (first version, first variant) named, in the
# same round, so the load of that round falls on both; medians over the rounds.
first_setting=${settings%% *}
first_version=${versions%% *}
first_variant=${variants%% *}
echo
echo "medians of ratios within a round, to setting $first_setting / ML.NET $first_version / variant $first_variant (first, warm, warm cpu):"
awk -v fs="$first_setting" -v fv="$first_version" -v fa="$first_variant" '
  /^#/ { next }
  { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    k = f["round"] SUBSEP f["zip"] SUBSEP f["mlnet"] SUBSEP f["ort"] SUBSEP f["setting"] SUBSEP f["variant"]
    first[k] = f["first_ms"]; warm[k] = f["warm_ms"]; cpu[k] = f["warm_cpu_ms"]; keys[k] = 1; delete f }
  function median(a, count,   i, j, t) {
    for (i = 2; i <= count; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return count % 2 ? a[(count + 1) / 2] : (a[count / 2] + a[count / 2 + 1]) / 2 }
  function add(label, k, base) {
    if (!(base in keys) || base == k) return
    if (!(label in n)) order[++labels] = label
    c = ++n[label]; rf[label, c] = first[k] / first[base]; rw[label, c] = warm[k] / warm[base]; rc[label, c] = cpu[k] / cpu[base] }
  END {
    for (k in keys) { split(k, p, SUBSEP)
      add(p[2] " " p[3] " " p[4] " " p[6] ": " p[5] " / " fs, k, p[1] SUBSEP p[2] SUBSEP p[3] SUBSEP p[4] SUBSEP fs SUBSEP p[6])
      add(p[2] " " p[4] " " p[5] " " p[6] ": ML.NET " p[3] " / " fv, k, p[1] SUBSEP p[2] SUBSEP fv SUBSEP p[4] SUBSEP p[5] SUBSEP p[6])
      add(p[2] " " p[3] " " p[4] " " p[5] ": " p[6] " / " fa, k, p[1] SUBSEP p[2] SUBSEP p[3] SUBSEP p[4] SUBSEP p[5] SUBSEP fa) }
    for (l = 1; l <= labels; l++) { label = order[l]; c = n[label]
      for (i = 1; i <= c; i++) { a[i] = rf[label, i]; b[i] = rw[label, i]; d[i] = rc[label, i] }
      printf "%-90s %5.2f %5.2f %5.2f\n", label, median(a, c), median(b, c), median(d, c); delete a; delete b; delete d } }
' "$log" | sort
