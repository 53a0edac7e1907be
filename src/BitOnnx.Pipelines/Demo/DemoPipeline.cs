using System.Diagnostics;
using System.Globalization;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Analysis.Runs;
using BitOnnx.Core;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.ML;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;
using BitOnnx.Pipelines.Observers;
using BitOnnx.Pipelines.Reports;
using BitOnnx.Pipelines.Verification;

namespace BitOnnx.Pipelines.Demo;

/// <summary>What the demo is asked to do: where, with which seed and threads, and whether at the quick (P = 31) sizes.</summary>
public sealed record DemoRequest(string Output, long Seed = 0, int Threads = 1, bool Quick = false);

/// <summary>
/// The main job end to end: train the three models, export each with every probe and writable hooks, verify each on ONNX Runtime against
/// the engine, and analyse them side by side into one report. A rerun reuses finished runs and resumes interrupted ones.
/// Layout: OUT/runs/NAME (run folders), OUT/models/NAME.onnx (+ NAME-int2.onnx, NAME.zip for ML.NET, NAME.md, the
/// card), OUT/report/index.html. An interrupted training step ends the demo with <see cref="OperationCanceledException"/>.
/// </summary>
public static class DemoPipeline
{
    public static AnalysisReport Run(DemoRequest request, IPipelineObserver? observer = null)
    {
        observer ??= SilentObserver.Instance;
        var watch = Stopwatch.StartNew();
        var plan = DemoPlan.Create(request.Seed, request.Threads, request.Quick);
        var models = Path.Combine(request.Output, "models");
        Directory.CreateDirectory(models);
        observer.Say($"BitOnnx demo: {plan.Count} models, seed {request.Seed}, {request.Threads} thread(s){(request.Quick ? ", quick sizes (P = 31)" : "")}.");

        var trained = new List<(DemoModel Model, RunFolder Run)>();
        foreach (var model in plan)
        {
            var run = new RunFolder(Path.Combine(request.Output, "runs", model.Name));
            Train(model, run, observer);
            trained.Add((model, run));
        }

        var sizes = new List<IReadOnlyList<string>>();
        var verification = new List<IReadOnlyList<string>>();
        var failed = false;
        var requests = new List<OnnxModelRequest>();
        var fileSizes = new Dictionary<string, List<ModelCard.FileSize>>();
        foreach (var (model, run) in trained)
        {
            var checkpoint = ModelCheckpoint.Load(run.ModelFile);
            var quantized = model.Config.Quantization != WeightQuantization.None;
            var main = Path.Combine(models, model.Name + ".onnx");
            var mainFormat = quantized ? WeightFormat.Int8 : WeightFormat.Float;
            var withProbes = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = mainFormat, Probes = HookSelection.Every, Writable = HookSelection.Every });
            withProbes.Model.Save(main);
            var cardSizes = fileSizes[model.Name] = [new($"{model.Name}.onnx (every probe; writable: bitonnx ablate, patch)", WeightFormats.Name(mainFormat), withProbes.Bytes, withProbes.BitsPerQuantizedWeight)];
            var zipBytes = MlNetExport.Save(checkpoint, Path.Combine(models, model.Name + ".zip"));
            cardSizes.Add(new($"{model.Name}.zip (ML.NET model: mlContext.Model.Load)", "float", zipBytes, 32));
            foreach (var format in quantized ? Enum.GetValues<WeightFormat>() : [WeightFormat.Float])
            {
                var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format });
                if (format == WeightFormat.Int2)
                {
                    export.Model.Save(Path.Combine(models, model.Name + "-int2.onnx"));
                    cardSizes.Add(new($"{model.Name}-int2.onnx (no probes)", "int2", export.Bytes, export.BitsPerQuantizedWeight));
                }
                sizes.Add([model.Name, WeightFormats.Name(format), Kib(export.Bytes), export.BitsPerQuantizedWeight.ToString(CultureInfo.InvariantCulture)]);
            }

            using var session = ModelSession.Open(main, new ModelSessionOptions { Threads = request.Threads });
            var check = EngineVerification.Run(checkpoint, session, ExportVerification.DefaultTolerance, request.Threads);
            var worst = check.Outputs.MaxBy(o => o.MaxAbsDifference / o.Bound)!;
            failed |= !check.Passed;
            verification.Add([model.Name, check.Outputs.Count.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{worst.MaxAbsDifference / worst.Bound:P1} ({worst.Name})"),
                check.PredictionMismatches.ToString(CultureInfo.InvariantCulture),
                check.OnnxAccuracy.ToString("P2", CultureInfo.InvariantCulture)]);
            requests.Add(new OnnxModelRequest(main, model.Name, TrainingRun.Load(run.Path)));
        }
        observer.Show(new ResultTable("exported files", ["model", "format", "size", "bits / quantized weight"], sizes));
        observer.Show(new ResultTable("ONNX Runtime against the engine, all pairs",
            ["model", "outputs compared", "worst max |Δ| / bound", "prediction mismatches", "accuracy (ONNX Runtime)"], verification));
        if (failed) throw new BitOnnxException("An exported model differs from the engine by more than the tolerance (see the table above).");

        var report = AnalyzeAndReport.Run(requests, Path.Combine(request.Output, "report"),
            request.Quick ? "BitOnnx demo (quick sizes)" : "Binary, ternary and full-precision transformers on modular addition (P = 113)",
            new ModelSessionOptions { Threads = request.Threads }, observer: observer);
        var command = $"bitonnx demo --seed {request.Seed}{(request.Quick ? " --quick" : "")}";
        for (var i = 0; i < trained.Count; i++)
        {
            var (model, run) = trained[i];
            ModelCard.Write(Path.Combine(models, model.Name + ".md"), model, run, report.Analyses[i], fileSizes[model.Name], command);
        }
        observer.Say($"Model cards: {Path.GetFullPath(models)}/*.md");
        observer.Say(string.Create(CultureInfo.InvariantCulture, $"Demo finished in {watch.Elapsed:h\\:mm\\:ss}."));
        return report;
    }

    /// <summary>Trains unless the run already holds this model at its final epoch; resumes a run that stopped early.</summary>
    private static void Train(DemoModel model, RunFolder run, IPipelineObserver observer)
    {
        var resume = false;
        if (File.Exists(run.ResumeFile))
        {
            var existing = ModelCheckpoint.Load(run.ResumeFile);
            if (existing.Config == model.Config && existing.Facts.Seed == model.Options.Seed)
            {
                if (existing.Facts.Epoch >= model.Options.Epochs)
                {
                    observer.Say($"{model.Name}: already trained ({run.Path}).");
                    return;
                }
                resume = true;
            }
        }
        // Anything else in the folder is not this model's run: replaced, and said so.
        if (!resume && run.DeleteRun() is { } replaced) observer.Say($"{model.Name}: replaced the run at {run.Path} (epoch {replaced}), which is not this model's.");
        var trainer = new Trainer(model.Config, model.Options, run, EngineBackend.Instance);
        var result = observer.Train(model.Name, model.Options.Epochs, (progress, cancel) => trainer.Run(resume, progress, cancel));
        if (result.Interrupted) throw new OperationCanceledException();
    }

    private static string Kib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB");
}
