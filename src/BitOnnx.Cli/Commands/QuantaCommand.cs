using System.CommandLine;
using System.Globalization;
using BitOnnx.Analysis.Arithmetic;
using BitOnnx.Pipelines.Models;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary>
/// <c>bitonnx quanta</c>: Quirke et al.'s tools (useful positions and nodes, attention tags, quanta maps, intervention
/// ablation, PCA) on an n-digit arithmetic model, written as a report folder. Named after their library and its maps.
/// </summary>
public static class QuantaCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A model of an arithmetic task (add5, sub5, mix5): its checkpoint (.safetensors, run on TorchSharp) or its export with --probes all --writable all (.onnx, run on ONNX Runtime)." };
        var output = new Option<string>("--out", "-o") { Description = "The report folder: report.md, quanta.json, quanta-map-*.svg, pca-*.svg.", Required = true };
        var questions = new Option<string>("--questions") { Description = "Questions to ask, drawn as training draws them.", DefaultValueFactory = _ => "300" };
        var seed = new Option<string>("--seed") { Description = "Seed of the questions drawn.", DefaultValueFactory = _ => "1" };
        var pca = new Option<string>("--pca") { Description = "The most useful heads given a PCA and an intervention ablation.", DefaultValueFactory = _ => "6" };
        var command = new Command("quanta", "Find the useful positions and nodes of an n-digit arithmetic model by mean ablation and map them by answer digit, quanta class and attention, with intervention ablations and PCAs (Quirke et al. 2024).")
        {
            model, output, questions, seed, pca,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var options = new QuantaToolOptions
            {
                Questions = Positive(r.GetValue(questions)!, "--questions", "the number of questions to ask"),
                Seed = Whole(r.GetValue(seed)!, "--seed"),
                MaxPcaNodes = NonNegative(r.GetValue(pca)!, "--pca"),
            };
            var folder = r.GetValue(output)!;
            if (File.Exists(folder)) throw new CliException($"'{folder}' is a file; give a folder for the report.");
            var path = r.GetValue(model)!;
            using var file = HookedSequenceModelFile.Open(path);
            QuantaToolsResult? result = null;
            AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var tasks = new Dictionary<string, ProgressTask>();
                    result = QuantaTools.Run(file.Model, options, new Progress(p =>
                    {
                        if (!tasks.TryGetValue(p.Stage, out var task)) tasks[p.Stage] = task = ctx.AddTask(p.Stage, maxValue: 1);
                        task.Value = p.Fraction;
                    }));
                });
            var written = QuantaReport.Write(folder, result!, Path.GetFileName(path));
            Print(result!);
            AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.GetFullPath(Path.Combine(folder, "report.md")))}[/] and {written.Count - 1} more files.");
            return 0;
        }));
        return command;
    }

    private static void Print(QuantaToolsResult r)
    {
        var I = CultureInfo.InvariantCulture;
        AnsiConsole.WriteLine(string.Create(I, $"{r.Task.Name}: {r.Questions.Count} of {r.QuestionsDrawn} questions answered without ablation; useful positions {string.Join(" ", r.UsefulPositions.Select(p => "P" + p))}"));
        var view = new Table().AddColumns("node", "fail %", "impact", "classes");
        foreach (var n in r.UsefulNodes) view.AddRow(n.Node.Name, n.Outcome.FailPercent.ToString(I), n.Outcome.Impact, n.Outcome.Classes);
        AnsiConsole.Write(view);
    }

    private static int Positive(string text, string name, string what) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
            : throw new CliException($"{name} {text} is not a positive whole number; give {what}, as {name} 300.");

    private static int NonNegative(string text, string name) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v
            : throw new CliException($"{name} {text} is not a whole number of 0 or more; give how many heads, as {name} 6.");

    private static long Whole(string text, string name) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new CliException($"{name} {text} is not a whole number; give a seed, as {name} 1.");

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Progress(Action<(string Stage, double Fraction)> report) : IProgress<(string Stage, double Fraction)>
    {
        public void Report((string Stage, double Fraction) value) => report(value);
    }
}
