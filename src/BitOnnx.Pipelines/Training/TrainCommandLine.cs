using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Pipelines.Training;

/// <summary>
/// The shortest `bitonnx train` line that rebuilds a run: every setting that differs from what the preset and the
/// recipe would choose, and nothing else (threads excepted: they do not change a bit of the result). Written for model
/// cards, so that the command on a card makes the model on it.
/// </summary>
public static class TrainCommandLine
{
    public static string For(TransformerConfig config, TrainingOptions options, string outputFolder)
    {
        var settings = new (string Option, string? Value)[]
        {
            ("--preset", config.Preset),
            ("--quant", Lower(config.Quantization)),
            ("--binary-scale", Lower(config.BinaryScale)),
            ("--quant-scope", Lower(config.QuantScope)),
            ("--p", Whole(config.P)),
            ("--d-model", Whole(config.DModel)),
            ("--n-heads", Whole(config.NHeads)),
            ("--d-head", Whole(config.DHead)),
            ("--d-mlp", Whole(config.DMlp)),
            ("--n-layers", Whole(config.NLayers)),
            ("--epochs", Whole(options.Epochs)),
            ("--seed", options.Seed.ToString(CultureInfo.InvariantCulture)),
            ("--train-fraction", Real(options.TrainFraction)),
            ("--lr", Real(options.Optimizer.LearningRate)),
            ("--weight-decay", Real(options.Optimizer.WeightDecay)),
            ("--warmup", Whole(options.Optimizer.WarmupSteps)),
            ("--log-every", Whole(options.LogEvery)),
            ("--checkpoint-every", Whole(options.CheckpointEvery)),
            ("--stop-at-acc", options.StopAtAccuracy is { } stop ? Real(stop) : null),
            ("--grokfast", options.Grokfast?.ToString()),
            ("--bimt", options.Bimt?.ToString()),
        }.Where(s => s.Value is not null).Select(s => (s.Option, Value: s.Value!)).ToList();
        var target = (config, options with { Threads = 1 });
        if (Rebuild(settings, outputFolder) != target)
            throw new InvalidOperationException($"The train options cannot express {config.Describe()} with these training settings.");
        // Drop, one at a time, every setting the defaults already give: what remains differs from them. The preset stays,
        // since it decides the defaults of the rest.
        for (var i = settings.Count - 1; i >= 1; i--)
        {
            var without = settings.Where((_, j) => j != i).ToList();
            if (Rebuild(without, outputFolder) == target) settings = without;
        }
        return $"{TrainArguments.Command} {string.Join(' ', settings.Select(s => $"{s.Option} {s.Value}"))} {TrainArguments.Out.Name} {outputFolder}";
    }

    private static (TransformerConfig, TrainingOptions) Rebuild(IEnumerable<(string Option, string Value)> settings, string outputFolder)
    {
        var request = TrainArguments.Build(string.Join(' ', settings.Select(s => $"{s.Option} {s.Value}")) + $" {TrainArguments.Out.Name} {outputFolder}");
        return (request.Config, request.Options with { Threads = 1 });
    }

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static string Whole(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Real(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
