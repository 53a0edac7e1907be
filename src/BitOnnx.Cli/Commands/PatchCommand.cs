using System.CommandLine;
using System.Globalization;
using BitOnnx.Analysis.Interventions;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Onnx;
using BitOnnx.Pipelines.Interventions;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx patch</c>: activation patching of every node from a clean into a corrupted input, beside attribution patching's estimate.</summary>
public static class PatchCommand
{
    private static readonly string[] Metrics = ["logit-diff", "loss"];
    private static readonly string[] Partners = ["random", "a+1", "b+1"];

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "An .onnx file exported with --writable all and --probes all (the shipped models are)." };
        var clean = new Option<string?>("--clean") { Description = "The clean pair A,B (with --corrupt); without both, every pair is patched against its partner (--partner)." };
        var corrupt = new Option<string?>("--corrupt") { Description = "The corrupted pair A2,B2, whose answer differs from the clean one." };
        var partner = new Option<string>("--partner")
        {
            Description = "Over all pairs, each pair (a, b)'s corrupted partner: random (a pair with another answer, drawn by --seed), a+1 ((a+1 mod P, b)) or b+1 ((a, b+1 mod P)).",
            DefaultValueFactory = _ => "random",
        };
        partner.AcceptOnlyFromAmong(Partners);
        var hooks = new Option<string>("--hooks") { Description = $"Nodes to patch, comma-separated: {string.Join(", ", PatchingNodes.Names)}.", DefaultValueFactory = _ => "resid_pre,attn_out,mlp_out,z,neurons" };
        var metric = new Option<string>("--metric")
        {
            Description = "logit-diff: logit[clean answer] − logit[corrupted answer]; loss: cross-entropy of the clean answer. Both at the last position, averaged over rows.",
            DefaultValueFactory = _ => "logit-diff",
        };
        metric.AcceptOnlyFromAmong(Metrics);
        var noAttribution = new Option<bool>("--no-attribution") { Description = "Skip attribution patching (the engine's backward pass on the model's folded weights)." };
        var csv = new Option<string?>("--csv") { Description = "Write every row to this CSV (component,metric,value,effect,restored,attribution; first rows clean and corrupted)." };
        var top = new Option<int>("--top") { Description = "Rows to print (the CSV has them all).", DefaultValueFactory = _ => 20 };
        var seed = new Option<long>("--seed") { Description = "Seed of the random partners.", DefaultValueFactory = _ => 0 };
        var provider = PredictCommand.ProviderOption();
        var command = new Command("patch", "Patch each node's activation from a clean input into a corrupted one (exactly, on ONNX Runtime) and estimate the same by attribution patching; a table sorted by effect.")
        {
            model, clean, corrupt, partner, hooks, metric, noAttribution, csv, top, seed, provider,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var targets = r.GetValue(hooks)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(PatchingNodes.Parse).ToArray();
            var csvPath = r.GetValue(csv);
            if (csvPath is not null) OutputPath.RequireFile(csvPath, "the CSV");
            if (r.GetValue(top) < 0) throw new CliException($"--top {r.GetValue(top)} is negative; give the number of rows to print.");
            if ((r.GetValue(clean) is null) != (r.GetValue(corrupt) is null))
                throw new CliException("--clean and --corrupt come together (one pair each); leave both out to patch every pair against its --partner.");
            var path = r.GetValue(model)!;
            using var session = PredictCommand.OpenSession(path, r.GetValue(provider)!);
            var p = session.P;
            var pairs = r.GetValue(clean) is { } c
                ? PatchingPairs.One(p, Pair(c, "--clean", p), Pair(r.GetValue(corrupt)!, "--corrupt", p))
                : PatchingPairs.All(p, r.GetValue(partner) switch { "a+1" => PartnerRule.NextA, "b+1" => PartnerRule.NextB, _ => PartnerRule.Random }, r.GetValue(seed));
            var onnx = OnnxModel.Load(path);
            var weights = new OnnxWeightSource(onnx);
            float[] Weight(string name) => weights.TryGet(name, out var t) ? t.Data : throw new CliException($"Model '{session.Name}' holds no weight '{name}'.");
            var gradients = r.GetValue(noAttribution) ? null : EngineHookGradients.FromOnnx(onnx, session.Metadata, session.Name);
            var metricKind = r.GetValue(metric) == "loss" ? PatchingMetric.Loss : PatchingMetric.LogitDifference;
            PatchingResult? table = null;
            AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("patching", maxValue: 1);
                    table = ActivationPatching.Run(session, pairs, metricKind, targets, Weight, gradients, new Progress(v => task.Value = v));
                });
            Print(table!, r.GetValue(top));
            if (csvPath is not null)
            {
                PatchingCsv.Write(csvPath, table!);
                AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.GetFullPath(csvPath))}[/] ({table!.Rows.Count + 2} rows).");
            }
            return 0;
        }));
        return command;
    }

    private static (int A, int B) Pair(string text, string option, int p)
    {
        var parts = text.Split(',');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var a)
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var b))
            return (a, b);
        throw new CliException($"{option} '{text}' is not a pair A,B of whole numbers below P = {p} (e.g. {option} 3,5).");
    }

    private static void Print(PatchingResult table, int top)
    {
        AnsiConsole.MarkupLine(Markup.Escape($"{table.Pairs.Rule}: {table.Pairs.Rows} row(s); {table.MetricName}: clean {F(table.Clean)}, corrupted {F(table.Corrupt)}."));
        var attribution = table.AttributionBy is not null;
        var view = new Table().AddColumns("component", table.MetricName, "effect", "restored");
        if (attribution) view.AddColumn("attribution");
        foreach (var row in table.Rows.Take(top))
        {
            var cells = new List<string> { Markup.Escape(row.Node.Component), F(row.Value), F(row.Effect), P(row.Restored) };
            if (attribution) cells.Add(F(row.Attribution!.Value));
            view.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(view);
        if (table.Rows.Count > top) AnsiConsole.MarkupLine($"{table.Rows.Count - top} more row{(table.Rows.Count - top == 1 ? "" : "s")} (--top, or --csv for all).");
        if (attribution)
            AnsiConsole.MarkupLine(Markup.Escape($"attribution patching ({table.AttributionBy}) against exact patching over {table.Rows.Count} nodes: Pearson r = {F(table.Correlation ?? double.NaN)}."));
    }

    private static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string P(double v) => double.IsNaN(v) ? "-" : v.ToString("P1", CultureInfo.InvariantCulture);

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Progress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
