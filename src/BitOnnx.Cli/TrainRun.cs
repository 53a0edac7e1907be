using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using Spectre.Console;

namespace BitOnnx.Cli;

/// <summary>Trains one run with the console's progress bar, Ctrl-C handling and closing summary (<c>bitonnx train</c>).</summary>
public static class TrainRun
{
    /// <summary>
    /// Trains into <paramref name="outputFolder"/>. A fresh start there refuses a folder that holds a run, unless
    /// <paramref name="force"/>: then that run's files are deleted first, and a line says which run was replaced.
    /// </summary>
    public static TrainingResult Execute(TransformerConfig config, TrainingOptions options, string outputFolder, bool resume,
        string? label = null, ITrainingBackend? backend = null, bool force = false)
    {
        var run = new RunFolder(outputFolder);
        var trainer = new Trainer(config, options, run, backend ?? EngineBackend.Instance);
        if (force && !resume && run.DeleteRun() is { } replaced)
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"Replaced the run at {run.Path} (epoch {replaced}).")));
        var scope = config.QuantScope == QuantScope.All ? " (all)" : "";
        var name = label ?? $"{config.Preset} {config.Quantization.ToString().ToLowerInvariant()}{scope} P={config.P}";
        var result = new ConsoleObserver().Train(name, options.Epochs, (progress, cancel) => trainer.Run(resume, progress, cancel));
        if (!result.Interrupted)
        {
            var swaps = options.Bimt is null ? "" : ", bimt-swaps.csv";
            AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.GetFullPath(outputFolder))}[/] (model.safetensors, metrics.csv, config.json, split.json, stop.json{swaps}).");
        }
        return result;
    }
}
