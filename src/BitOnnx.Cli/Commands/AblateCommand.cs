using System.CommandLine;
using System.Globalization;
using BitOnnx.Analysis.Interventions;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Interventions;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx ablate</c>: the loss and accuracy over all pairs with each component ablated, sorted by effect.</summary>
public static class AblateCommand
{
    private static readonly string[] Kinds = ["zero", "mean", "resample"];

    private const string DefaultTargets = "heads,neurons,positions,mlp,attn";

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "An .onnx file exported with --writable all and --probes all (the shipped models are)." };
        var what = new Option<string>("--what") { Description = $"Components to ablate, comma-separated: {string.Join(", ", AblationTargets.Names)}.", DefaultValueFactory = _ => DefaultTargets };
        var kind = new Option<string>("--kind") { Description = "zero, mean (over all P² pairs, at each position) or resample (another pair's value, drawn by --seed).", DefaultValueFactory = _ => "mean" };
        kind.AcceptOnlyFromAmong(Kinds);
        var csv = new Option<string?>("--csv") { Description = "Write every row to this CSV (component,kind,loss,accuracy; first row none)." };
        var top = new Option<int>("--top") { Description = "Rows to print (the CSV has them all).", DefaultValueFactory = _ => 20 };
        var seed = new Option<long>("--seed") { Description = "Seed of the resample draw.", DefaultValueFactory = _ => 0 };
        var provider = PredictCommand.ProviderOption();
        var command = new Command("ablate", "Ablate each head, neuron, position, MLP or attention output in turn and tabulate the loss and accuracy over all P² pairs, largest effect first.")
        {
            model, what, kind, csv, top, seed, provider,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var targets = r.GetValue(what)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(AblationTargets.Parse).ToArray();
            var csvPath = r.GetValue(csv);
            if (csvPath is not null) OutputPath.RequireFile(csvPath, "the CSV");
            if (r.GetValue(top) < 0) throw new CliException($"--top {r.GetValue(top)} is negative; give the number of rows to print.");
            var path = r.GetValue(model)!;
            using var session = PredictCommand.OpenSession(path, r.GetValue(provider)!);
            targets = SplicedTargets(session, targets, r.GetValue(what) == DefaultTargets);
            var weights = new OnnxWeightSource(OnnxModel.Load(path));
            float[] Weight(string name) => weights.TryGet(name, out var t) ? t.Data : throw new CliException($"Model '{session.Name}' holds no weight '{name}'.");
            var interventionKind = Enum.Parse<InterventionKind>(r.GetValue(kind)!, ignoreCase: true);
            AblationResult? table = null;
            AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("ablating", maxValue: 1);
                    table = AblationTable.Run(session, targets, interventionKind, Weight, r.GetValue(seed), new Progress(v => task.Value = v));
                });
            Print(table!, r.GetValue(top));
            if (csvPath is not null)
            {
                AblationCsv.Write(csvPath, table!);
                AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.GetFullPath(csvPath))}[/] ({table!.Rows.Count + 1} rows).");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// A spliced model's MLP neurons feed nothing (the transcoder replaced them, and its latents are not writable hooks),
    /// so ablating them would show no effect: left out of the default list with a note, refused when asked for.
    /// </summary>
    private static AblationTarget[] SplicedTargets(ModelSession session, AblationTarget[] targets, bool byDefault)
    {
        if (SplicedTranscoder.Of(session.Metadata.All) is null || !targets.Contains(AblationTarget.Neurons)) return targets;
        if (!byDefault)
            throw new CliException($"Model '{session.Name}' has its MLP replaced by a transcoder, so its neurons feed nothing; ablate the transcoder's output as a whole (--what mlp), or analyze the model it was spliced into with --transcoder for its latents.");
        AnsiConsole.MarkupLine("neurons left out: the MLP is replaced by a transcoder, so its neurons feed nothing (--what mlp ablates the transcoder's output).");
        return targets.Where(t => t != AblationTarget.Neurons).ToArray();
    }

    private static void Print(AblationResult table, int top)
    {
        var view = new Table().AddColumns("component", "kind", "loss", "accuracy", "Δ loss");
        view.AddRow("none", "none", F(table.None.Loss), P(table.None.Accuracy), "");
        foreach (var row in table.Rows.Take(top)) view.AddRow(Markup.Escape(row.Component), table.KindName, F(row.Loss), P(row.Accuracy), F(row.Effect));
        AnsiConsole.Write(view);
        if (table.Rows.Count > top) AnsiConsole.MarkupLine($"{table.Rows.Count - top} more row{(table.Rows.Count - top == 1 ? "" : "s")} (--top, or --csv for all).");
    }

    private static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string P(double v) => v.ToString("P2", CultureInfo.InvariantCulture);

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Progress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
