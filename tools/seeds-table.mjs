// Builds OUT/table.tsv (one row per finished run folder of tools/seeds.sh) and OUT/table.md (mean ± sd per model, over seeds).
// Usage: node tools/seeds-table.mjs OUT
import fs from "node:fs";
import path from "node:path";

const out = process.argv[2];
if (!out || !fs.existsSync(out)) {
  console.error(`error: no run folder '${out ?? ""}'; give the OUT folder of tools/seeds.sh`);
  process.exit(2);
}

const readJson = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : null);

function lastMetricsRow(run) {
  const lines = fs.readFileSync(path.join(run, "metrics.csv"), "utf8").trim().split("\n");
  const [epoch, train, test, acc] = lines[lines.length - 1].split(",").map(Number);
  return { epoch, train, test, acc };
}

function row(model, seed, run) {
  const stop = readJson(path.join(run, "stop.json"));
  const last = lastMetricsRow(run);
  const summary = readJson(path.join(run, "report", "summary.json"))?.models?.[0];
  const seconds = fs.existsSync(path.join(run, "train-seconds")) ? Number(fs.readFileSync(path.join(run, "train-seconds"), "utf8")) : null;
  const int2 = fs.readdirSync(run).find((f) => f.endsWith("-int2.onnx"));
  return {
    model,
    seed,
    epoch99: stop?.stop_reason === "accuracy" ? stop.epoch : null,
    lastEpoch: last.epoch,
    seconds,
    trainLoss: last.train,
    testLoss: last.test,
    testAcc: last.acc,
    int2KiB: int2 ? fs.statSync(path.join(run, int2)).size / 1024 : null,
    keyFrequencies: summary?.key_frequencies?.neurons ?? null,
    embeddingKeyFrequencies: summary?.key_frequencies?.embedding ?? null,
    medianFve: summary?.fve?.median ?? null,
    restrictedLoss: summary?.progress_measures?.final_restricted_loss ?? null,
    excludedLoss: summary?.progress_measures?.final_excluded_loss ?? null,
    onnxAccuracy: summary?.losses?.all_accuracy ?? null,
    verdict: summary?.clock_pizza?.verdict ?? null,
  };
}

const rows = [];
for (const dir of fs.readdirSync(out).sort()) {
  const m = /^(.+)-s(\d+)$/.exec(dir);
  const run = path.join(out, dir);
  // Only finished runs: one still training (or interrupted) has no final stop reason yet.
  const stop = readJson(path.join(run, "stop.json"));
  if (m && (stop?.stop_reason === "accuracy" || stop?.stop_reason === "epochs")) rows.push(row(m[1], Number(m[2]), run));
}
rows.sort((a, b) => a.model.localeCompare(b.model) || a.seed - b.seed);

const cell = (v) => (v === null ? "-" : Array.isArray(v) ? v.join(" ") : String(v));
const columns = Object.keys(rows[0] ?? { model: 0 });
const tsv = [columns.join("\t"), ...rows.map((r) => columns.map((c) => cell(r[c])).join("\t"))].join("\n") + "\n";

function stats(values) {
  const v = values.filter((x) => x !== null && Number.isFinite(x));
  if (v.length === 0) return null;
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, sd, n: v.length };
}
const fmt = (s, digits) => (s === null ? "–" : `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`);
const fmtg = (s) => (s === null ? "–" : `${s.mean.toPrecision(2)} ± ${s.sd.toPrecision(2)}`);

const md = [
  "| model | runs | reached 99 % | epoch at 99 % | seconds | test loss at stop | key frequencies | median FVE | restricted loss | excluded loss | clock / pizza |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
];
for (const model of [...new Set(rows.map((r) => r.model))]) {
  const rs = rows.filter((r) => r.model === model);
  const verdicts = {};
  for (const r of rs) if (r.verdict) verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
  md.push(
    `| ${model} | ${rs.length} (seeds ${rs.map((r) => r.seed).join(", ")}) | ${rs.filter((r) => r.epoch99 !== null).length} | ` +
      `${fmt(stats(rs.map((r) => r.epoch99)), 0)} | ${fmt(stats(rs.map((r) => r.seconds)), 0)} | ${fmtg(stats(rs.map((r) => r.testLoss)))} | ` +
      `${fmt(stats(rs.map((r) => r.keyFrequencies?.length ?? null)), 1)} | ${fmt(stats(rs.map((r) => r.medianFve)), 2)} | ` +
      `${fmtg(stats(rs.map((r) => r.restrictedLoss)))} | ${fmt(stats(rs.map((r) => r.excludedLoss)), 1)} | ` +
      `${Object.entries(verdicts).map(([k, n]) => `${k} ${n}`).join(", ") || "–"} |`,
  );
}

function writeAtomically(file, text) {
  fs.writeFileSync(file + ".tmp", text);
  fs.renameSync(file + ".tmp", file);
}
writeAtomically(path.join(out, "table.tsv"), tsv);
writeAtomically(path.join(out, "table.md"), md.join("\n") + "\n");
console.log(md.join("\n"));
