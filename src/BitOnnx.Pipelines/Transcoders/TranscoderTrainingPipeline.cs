using System.Diagnostics;
using BitOnnx.Analysis.Explanations;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Transcoders;
using BitOnnx.Core;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Transcoders;
using BitOnnx.Engine.Transcoders;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Pipelines.Transcoders;

/// <summary>
/// <c>bitonnx transcoder train</c> as a library call: checks the settings, the output folder and the model (its probes,
/// its writable MLP output, that it grokked), reads the MLP's input and output at the last position over all pairs on
/// ONNX Runtime, trains on the model's own train split, measures on the test split and all pairs, and writes
/// TC/transcoder.safetensors, TC/metrics.json (with the rewrite from the latents' explanations,
/// <see cref="TranscoderRewrite"/>) and TC/latents.csv.
/// </summary>
public static class TranscoderTrainingPipeline
{
    /// <summary>Test accuracy below which a model has not grokked, and a transcoder of it would learn noise.</summary>
    public const double GrokkedAccuracy = 0.99;

    /// <summary>The latents' explanations in the transcoder's folder (<see cref="ExplanationCsv"/>).</summary>
    public const string LatentsFileName = "latents.csv";

    public static TranscoderMetrics Run(TranscoderTrainRequest request, IProgress<TranscoderStep>? progress = null, CancellationToken cancel = default)
    {
        // The settings alone first (at a placeholder width), so a bad k costs no model load.
        request.Config(dModel: 1);
        var training = request.Training ?? new TranscoderTrainingSettings();
        var problems = training.Problems();
        if (problems.Count > 0) throw new TranscoderConfigException(string.Join(" ", problems));
        OutputPath.RequireFolder(request.OutputFolder, "the transcoder folder");
        using var session = ModelSession.Open(request.ModelPath);
        var splice = new TranscoderSplice(session);
        var config = request.Config(splice.Config.DModel);
        var data = splice.Split;
        var testAccuracy = ModularAdditionLoss.Accuracy(splice.CleanLogits, splice.P, data.TestRows);
        if (testAccuracy < GrokkedAccuracy)
            throw new BitOnnxException($"Model '{session.Name}' answers {testAccuracy:P1} of its test pairs, below {GrokkedAccuracy:P0}: it has not grokked, and a transcoder of its MLP would learn memorised noise; train it longer (bitonnx train --epochs) and export it again.");
        var source = SourceOf(request.ModelPath, session.Metadata);
        int threads = request.Threads > 0 ? request.Threads : Environment.ProcessorCount;

        var (x, y) = (Rows(splice.MlpInput, config.DIn, data.TrainRows), Rows(splice.MlpOutput, config.DOut, data.TrainRows));
        var clock = Stopwatch.StartNew();
        var transcoder = TranscoderTraining.Train(config, training, x, y, source, threads, progress, cancel);
        var seconds = clock.Elapsed.TotalSeconds;

        var layer = new TranscoderLayer(config);
        layer.Forward(transcoder, splice.MlpInput, threads);
        var steps = (long)training.Epochs * (data.TrainRows.Count / Math.Min(training.BatchSize, data.TrainRows.Count));
        var latents = layer.Latents();
        var metrics = TranscoderMetrics.Measure(splice, transcoder, latents, layer.Output.ToArray(), data.TestRows, seconds, training.Epochs, steps)
            with
        { Rewrite = TranscoderRewrite.Explain(splice, transcoder, latents, data.TestRows) };
        Directory.CreateDirectory(request.OutputFolder);
        ExplanationCsv.Write(Path.Combine(request.OutputFolder, LatentsFileName), metrics.Rewrite.Explanations);
        TranscoderFile.Write(Path.Combine(request.OutputFolder, TranscoderFile.FileName), transcoder);
        TranscoderMetricsFile.Write(Path.Combine(request.OutputFolder, TranscoderMetricsFile.FileName), metrics);
        return metrics;
    }

    /// <summary>The model's identity: the weights' sha256 its export records, else the file's own.</summary>
    public static TranscoderSource SourceOf(string path, ExportMetadata metadata) => TranscoderInput.SourceOf(path, metadata);

    private static float[] Rows(float[] all, int width, IReadOnlyList<int> rows)
    {
        var result = new float[rows.Count * width];
        for (int n = 0; n < rows.Count; n++) all.AsSpan(rows[n] * width, width).CopyTo(result.AsSpan(n * width, width));
        return result;
    }
}
