using System.Globalization;
using System.Text;
using BitOnnx.Analysis;
using BitOnnx.Analysis.ClockPizza;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Pipelines.Demo;

/// <summary>The short card written beside each demo model: how it was made and what it learned.</summary>
public static class ModelCard
{
    public sealed record FileSize(string File, string Weights, long Bytes, int BitsPerWeight);

    public static void Write(string path, DemoModel model, RunFolder run, ModelAnalysis analysis, IReadOnlyList<FileSize> sizes, string demoCommand)
    {
        var c = model.Config;
        var o = model.Options;
        var metrics = run.ReadMetrics();
        var last = metrics[^1];
        var grokked = metrics.FirstOrDefault(m => m.TestAccuracy >= 0.99);
        var quant = c.Quantization.ToString().ToLowerInvariant();
        var text = new StringBuilder();
        string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        text.AppendLine(I($"# {model.Name}"));
        text.AppendLine();
        text.AppendLine(I($"A 1-layer {c.Preset} transformer with {quant} weights (W_Q, W_K, W_V, W_O, W_in, W_out) trained on (a + b) mod {c.P}: d_model {c.DModel}, {c.NHeads} heads of {c.DHead}, d_mlp {c.DMlp}."));
        text.AppendLine();
        text.AppendLine("Made by:");
        text.AppendLine();
        text.AppendLine("```bash");
        text.AppendLine(demoCommand);
        text.AppendLine($"# the same run on its own: {TrainCommandLine.For(c, o, $"runs/{model.Name}")}");
        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine("| fact | value |");
        text.AppendLine("|---|---|");
        text.AppendLine(I($"| seed | {o.Seed} |"));
        text.AppendLine(I($"| epochs | {last.Epoch} (AdamW lr {o.Optimizer.LearningRate:G}, weight decay {o.Optimizer.WeightDecay:G}, {o.TrainFraction:P0} of pairs for training) |"));
        text.AppendLine(I($"| first logged epoch with test accuracy ≥ 99% | {(grokked is null ? "not reached" : grokked.Epoch.ToString(CultureInfo.InvariantCulture))} |"));
        text.AppendLine(I($"| final train loss / test loss / test accuracy | {last.TrainLoss:G3} / {last.TestLoss:G3} / {last.TestAccuracy:P2} |"));
        text.AppendLine(I($"| key frequencies (embedding Fourier norms) | {Join(analysis.EmbeddingKeyFrequencies)} |"));
        text.AppendLine(I($"| key frequencies (neuron clusters) | {Join(analysis.NeuronKeyFrequencies)} |"));
        if (analysis.Neurons is { } neurons) text.AppendLine(I($"| median neuron FVE (one frequency, degree 2) | {neurons.Stats.Median:F3} |"));
        if (analysis.ClockPizza is { } cp) text.AppendLine(I($"| clock vs pizza | {cp.Verdict.Name()} |"));
        text.AppendLine();
        text.AppendLine("| file | weights | size | bits per quantized weight |");
        text.AppendLine("|---|---|---|---|");
        foreach (var s in sizes) text.AppendLine(I($"| {s.File} | {s.Weights} | {s.Bytes / 1024.0:F1} KiB | {s.BitsPerWeight} |"));
        AtomicFile.WriteText(path, text.ToString());
    }

    private static string Join(int[] frequencies) => frequencies.Length == 0 ? "none" : string.Join(", ", frequencies);
}
