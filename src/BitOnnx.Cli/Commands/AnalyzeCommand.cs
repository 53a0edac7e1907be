using System.CommandLine;
using BitOnnx.Analysis;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Analysis.Runs;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Pipelines.Reports;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx analyze</c>: the paper's figures, progress measures and clock vs pizza from exported models.</summary>
public static class AnalyzeCommand
{
    /// <summary>Written in a per-model list (--run, --embedded) to leave that model without one.</summary>
    public const string NoneMarker = "-";

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "An .onnx file exported with probes (bitonnx export ... --probes all)." };
        var compare = new Option<string[]>("--compare") { Description = "More .onnx models to show side by side with the first.", AllowMultipleArgumentsPerToken = true };
        var names = new Option<string[]>("--name") { Description = "Display name of each model, in order (model, then each --compare); default: the file name.", AllowMultipleArgumentsPerToken = true };
        var runs = new Option<string[]>("--run") { Description = $"Run folder of each model, in order (loss curves, train split, checkpoints/ for progress measures); '{NoneMarker}' skips one.", AllowMultipleArgumentsPerToken = true };
        var embedded = new Option<string[]>("--embedded") { Description = $"Embedded-input export of each model, in order (bitonnx export --embedded-input --double), for gradient symmetricity; default: graph surgery on the model; '{NoneMarker}' skips one.", AllowMultipleArgumentsPerToken = true };
        var circuits = new Option<string[]>("--circuit")
        {
            Description = $"Circuit of each model, in order, as bitonnx circuit --json wrote it: the report shows its diagram and kept edges; '{NoneMarker}' skips one.",
            AllowMultipleArgumentsPerToken = true,
        };
        var transcoders = new Option<string[]>("--transcoder")
        {
            Description = $"Transcoder of each model, in order, as bitonnx transcoder train wrote it (its folder): the report shows its latents, their explanations and the MLP replaced; '{NoneMarker}' skips one.",
            AllowMultipleArgumentsPerToken = true,
        };
        var noGradients = new Option<bool>("--no-gradients") { Description = "Skip gradient symmetricity (the clock-vs-pizza verdict then rests on distance irrelevance)." };
        var output = new Option<string>("--output", "-o") { Description = "Report folder to write (index.html, summary.json, data/*.csv).", Required = true };
        var title = new Option<string?>("--title") { Description = "Title of the report page." };
        var neurons = new Option<string?>("--neurons") { Description = "Neurons whose maps the report shows, comma-separated (e.g. 3,17,42); default: the four whose activation varies most." };
        var layer = new Option<int?>("--layer") { Description = "The block whose attention and MLP are analysed (default: the model's only block; required for deeper models)." };
        var provider = PredictCommand.ProviderOption();
        var command = new Command("analyze", "Analyse exported models through ONNX Runtime and write an interactive report (Fourier analyses, FVE, progress measures, clock vs pizza).")
        {
            model, compare, names, runs, embedded, circuits, transcoders, noGradients, output, title, neurons, layer, provider,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var paths = new[] { r.GetValue(model)! }.Concat(r.GetValue(compare) ?? []).ToArray();
            var requests = Requests(paths, r.GetValue(names) ?? [], r.GetValue(runs) ?? [], r.GetValue(embedded) ?? [], !r.GetValue(noGradients), r.GetValue(circuits) ?? [], r.GetValue(transcoders) ?? []);
            // Checked before any model is opened: a report that cannot be written fails now, not after the analysis.
            OutputPath.RequireFolder(r.GetValue(output)!, "the report folder");
            var session = new ModelSessionOptions { Provider = ModelSessionOptions.ParseProvider(r.GetValue(provider)!) };
            AnalyzeAndReport.Run(requests, r.GetValue(output)!, r.GetValue(title), session, new AnalysisOptions { Layer = r.GetValue(layer), ShownNeurons = Neurons(r.GetValue(neurons)) }, new ConsoleObserver());
            return 0;
        }));
        return command;
    }

    /// <summary>"3,17,42" as neuron indices; null when not given.</summary>
    public static IReadOnlyList<int>? Neurons(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var neurons = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out neurons[i]))
                throw new CliException($"--neurons '{text}': '{parts[i]}' is not a neuron index; give whole numbers 0 or more, comma-separated, as in --neurons 3,17,42.");
        return neurons;
    }

    /// <summary>Pairs the per-model lists with the models, in order; checks files and folders exist.</summary>
    public static IReadOnlyList<OnnxModelRequest> Requests(string[] models, string[] names, string[] runs, string[] embedded, bool gradients, string[]? circuits = null, string[]? transcoders = null)
    {
        void RequireAtMost(string[] list, string option)
        {
            if (list.Length > models.Length)
                throw new CliException($"{option} was given {list.Length} times for {models.Length} model(s); give at most one per model, in order (model, then each --compare).");
        }
        RequireAtMost(names, "--name");
        RequireAtMost(runs, "--run");
        RequireAtMost(embedded, "--embedded");
        circuits ??= [];
        RequireAtMost(circuits, "--circuit");
        transcoders ??= [];
        RequireAtMost(transcoders, "--transcoder");
        foreach (var path in transcoders.Where(t => t != NoneMarker))
            if (!Directory.Exists(path) && !File.Exists(path)) throw new CliException($"Transcoder '{path}' does not exist; give the folder bitonnx transcoder train wrote, or '{NoneMarker}' for a model without one.");
        foreach (var path in circuits.Where(c => c != NoneMarker))
            if (!File.Exists(path)) throw new CliException($"Circuit file '{path}' does not exist; give the JSON that bitonnx circuit --json wrote, or '{NoneMarker}' for a model without one.");
        foreach (var path in models.Concat(embedded.Where(e => e != NoneMarker)))
            if (!File.Exists(path)) throw new CliException($"ONNX model '{path}' does not exist.");
        var defaults = DefaultNames(models);
        var requests = new List<OnnxModelRequest>();
        for (int i = 0; i < models.Length; i++)
        {
            string? runPath = i < runs.Length && runs[i] != NoneMarker ? runs[i] : null;
            string? embeddedPath = i < embedded.Length && embedded[i] != NoneMarker ? embedded[i] : null;
            requests.Add(new OnnxModelRequest(models[i], i < names.Length ? names[i] : defaults[i], runPath is null ? null : TrainingRun.Load(runPath),
                embeddedPath, gradients, i < circuits.Length && circuits[i] != NoneMarker ? circuits[i] : null,
                i < transcoders.Length && transcoders[i] != NoneMarker ? transcoders[i] : null));
        }
        var duplicate = requests.GroupBy(q => q.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new CliException($"Two models are named '{duplicate.Key}'; give each a distinct --name.");
        return requests;
    }

    /// <summary>File names, with the parent folder added where two models share a file name.</summary>
    private static string[] DefaultNames(string[] models)
    {
        var files = models.Select(Path.GetFileName).ToArray();
        return models.Select((m, i) => files.Count(f => f == files[i]) == 1
            ? files[i]!
            : Path.Combine(Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(m))) ?? "", files[i]!)).ToArray();
    }
}
