using System.Diagnostics;
using System.Globalization;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;
using Spectre.Console;

namespace BitOnnx.Cli.Demo;

/// <summary>
/// The main job end to end: train the three models, export each with every probe, verify each on ONNX Runtime against
/// the engine, and analyse them side by side into one report. A rerun reuses finished runs and resumes interrupted ones.
/// Layout: OUT/runs/NAME (run folders), OUT/models/NAME.onnx (+ NAME-int2.onnx, NAME.zip for ML.NET), OUT/report/index.html.
/// </summary>
public static class DemoRun
{
    public static int Execute(string output, long seed, int threads, bool quick)
    {
        var watch = Stopwatch.StartNew();
        var plan = DemoPlan.Create(seed, threads, quick);
        var models = Path.Combine(output, "models");
        Directory.CreateDirectory(models);
        AnsiConsole.MarkupLine($"[bold]BitOnnx demo[/]: {plan.Count} models, seed {seed}, {threads} thread(s){(quick ? ", quick sizes (P = 31)" : "")}.");

        var trained = new List<(DemoModel Model, RunFolder Run)>();
        foreach (var model in plan)
        {
            var run = new RunFolder(Path.Combine(output, "runs", model.Name));
            Train(model, run);
            trained.Add((model, run));
        }

        var sizes = new Table().AddColumns("model", "format", "size", "bits / quantized weight");
        var verification = new Table().AddColumns("model", "outputs compared", "worst max |Δ| / bound", "prediction mismatches", "accuracy (ONNX Runtime)");
        var failed = false;
        var requests = new List<OnnxModelRequest>();
        var fileSizes = new Dictionary<string, List<ModelCard.FileSize>>();
        foreach (var (model, run) in trained)
        {
            var checkpoint = ModelCheckpoint.Load(run.ModelFile);
            var quantized = model.Config.Quantization != WeightQuantization.None;
            var main = Path.Combine(models, model.Name + ".onnx");
            var mainFormat = quantized ? WeightFormat.Int8 : WeightFormat.Float;
            var withProbes = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = mainFormat, Probes = ProbeSelection.Every });
            withProbes.Model.Save(main);
            var cardSizes = fileSizes[model.Name] = [new($"{model.Name}.onnx (every probe)", WeightFormats.Name(mainFormat), withProbes.Bytes, withProbes.BitsPerQuantizedWeight)];
            var zipBytes = BitOnnx.ML.MlNetExport.Save(checkpoint, Path.Combine(models, model.Name + ".zip"));
            var zipFormat = BitOnnx.ML.MlNetExport.FastestPerRow(checkpoint.Config);
            cardSizes.Add(new($"{model.Name}.zip (ML.NET model: mlContext.Model.Load)", WeightFormats.Name(zipFormat), zipBytes, WeightFormats.BitsPerWeight(zipFormat)));
            foreach (var format in quantized ? Enum.GetValues<WeightFormat>() : [WeightFormat.Float])
            {
                var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format });
                if (format == WeightFormat.Int2)
                {
                    export.Model.Save(Path.Combine(models, model.Name + "-int2.onnx"));
                    cardSizes.Add(new($"{model.Name}-int2.onnx (no probes)", "int2", export.Bytes, export.BitsPerQuantizedWeight));
                }
                sizes.AddRow(model.Name, WeightFormats.Name(format), Kib(export.Bytes), export.BitsPerQuantizedWeight.ToString(CultureInfo.InvariantCulture));
            }

            using var session = ModelSession.Open(main, new ModelSessionOptions { Threads = threads });
            var report = EngineVerification.Run(checkpoint, session, ExportVerification.DefaultTolerance, threads);
            var worst = report.Outputs.MaxBy(o => o.MaxAbsDifference / o.Bound)!;
            failed |= !report.Passed;
            verification.AddRow(model.Name, report.Outputs.Count.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{worst.MaxAbsDifference / worst.Bound:P1} ({worst.Name})"),
                report.PredictionMismatches.ToString(CultureInfo.InvariantCulture),
                report.OnnxAccuracy.ToString("P2", CultureInfo.InvariantCulture));
            requests.Add(new OnnxModelRequest(main, model.Name, BitOnnx.Analysis.Runs.TrainingRun.Load(run.Path)));
        }
        AnsiConsole.Write(sizes);
        AnsiConsole.Write(verification);
        if (failed) throw new CliException("An exported model differs from the engine by more than the tolerance (see the table above).");

        var options = new ModelSessionOptions { Threads = threads };
        var (_, analyses) = AnalyzeRun.Execute(requests, Path.Combine(output, "report"),
            quick ? "BitOnnx demo (quick sizes)" : "Binary, ternary and full-precision transformers on modular addition (P = 113)", options);
        var command = $"bitonnx demo --seed {seed}{(quick ? " --quick" : "")}";
        for (var i = 0; i < trained.Count; i++)
        {
            var (model, run) = trained[i];
            ModelCard.Write(Path.Combine(models, model.Name + ".md"), model, run, analyses[i], fileSizes[model.Name], command);
        }
        AnsiConsole.MarkupLine($"Model cards: [bold]{Markup.Escape(Path.GetFullPath(models))}[/]/*.md");
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"Demo finished in {watch.Elapsed:h\\:mm\\:ss}."));
        return 0;
    }

    /// <summary>Trains unless the run already holds this model at its final epoch; resumes a run that stopped early.</summary>
    private static void Train(DemoModel model, RunFolder run)
    {
        if (File.Exists(run.ResumeFile))
        {
            var existing = ModelCheckpoint.Load(run.ResumeFile);
            if (existing.Config == model.Config && existing.Facts.Seed == model.Options.Seed)
            {
                if (existing.Facts.Epoch >= model.Options.Epochs)
                {
                    AnsiConsole.MarkupLine($"{Markup.Escape(model.Name)}: already trained ({Markup.Escape(run.Path)}).");
                    return;
                }
                if (TrainRun.Execute(model.Config, model.Options, run.Path, resume: true, model.Name).Interrupted) throw new OperationCanceledException();
                return;
            }
        }
        if (TrainRun.Execute(model.Config, model.Options, run.Path, resume: false, model.Name).Interrupted) throw new OperationCanceledException();
    }

    private static string Kib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB");
}
