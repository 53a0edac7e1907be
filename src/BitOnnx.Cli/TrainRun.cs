using System.Diagnostics;
using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using Spectre.Console;

namespace BitOnnx.Cli;

/// <summary>Trains with a live progress bar, Ctrl-C handling and a closing summary; shared by train and demo.</summary>
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
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var scope = config.QuantScope == QuantScope.All ? " (all)" : "";
        var name = label ?? $"{config.Preset} {config.Quantization.ToString().ToLowerInvariant()}{scope} P={config.P}";
        var watch = Stopwatch.StartNew();
        TrainingResult? result = null;
        int? firstEpoch = null;
        try
        {
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(name), maxValue: options.Epochs);
                    var progress = new InlineProgress<TrainingProgress>(p =>
                    {
                        firstEpoch ??= p.Epoch;
                        task.Value = p.Epoch;
                        task.Description = Markup.Escape(ProgressLine(name, p));
                    });
                    result = trainer.Run(resume, progress, cancel.Token);
                });
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        watch.Stop();
        var r = result!;
        var last = r.Metrics.LastOrDefault();
        var grokked = r.Metrics.FirstOrDefault(m => m.TestAccuracy >= 0.99);
        var folder = Path.GetFullPath(outputFolder);
        if (r.Interrupted)
        {
            AnsiConsole.MarkupLine($"[yellow]Interrupted at epoch {r.Epoch}.[/] The run folder is consistent; continue with [bold]--resume[/].");
            return r;
        }
        var table = new Table().AddColumns("run", "epochs", "train loss", "test loss", "test acc", "epoch ≥ 99%", "ms / epoch");
        table.AddRow(Markup.Escape(name), r.Epoch.ToString(CultureInfo.InvariantCulture),
            F(last?.TrainLoss), F(last?.TestLoss), last is null ? "-" : last.TestAccuracy.ToString("P2", CultureInfo.InvariantCulture),
            grokked?.Epoch.ToString(CultureInfo.InvariantCulture) ?? "not reached",
            (watch.Elapsed.TotalMilliseconds / Math.Max(1, r.Epoch - (firstEpoch ?? 1) + 1)).ToString("F1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        if (r.Stop.Reason == StopReason.AccuracyReached)
            AnsiConsole.MarkupLine($"Stopped early: {Markup.Escape(r.Stop.ToString())}.");
        AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(folder)}[/] (model.safetensors, metrics.csv, config.json, split.json, stop.json).");
        return r;
    }

    /// <summary>
    /// The progress bar's text: the epoch just trained with its own train loss, and the test loss and accuracy with the
    /// epoch they were measured at (the latest logged one), so that no number is shown beside an epoch it is not from.
    /// </summary>
    public static string ProgressLine(string name, TrainingProgress p)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{name}  epoch {p.Epoch}  train {p.TrainLoss:G3}");
        return p.LastLogged switch
        {
            null => line,
            { Epoch: var e } logged when e == p.Epoch => string.Create(CultureInfo.InvariantCulture, $"{line}  test {logged.TestLoss:G3}  acc {logged.TestAccuracy:P1}"),
            var logged => string.Create(CultureInfo.InvariantCulture, $"{line}  (epoch {logged.Epoch}: test {logged.TestLoss:G3}  acc {logged.TestAccuracy:P1})"),
        };
    }

    private static string F(double? v) => v?.ToString("G4", CultureInfo.InvariantCulture) ?? "-";

    /// <summary>Reports on the training thread, so the bar shows the epoch just finished.</summary>
    private sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
