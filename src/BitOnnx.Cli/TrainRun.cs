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
    public static TrainingResult Execute(TransformerConfig config, TrainingOptions options, string outputFolder, bool resume,
        string? label = null, ITrainingBackend? backend = null)
    {
        var trainer = new Trainer(config, options, new RunFolder(outputFolder), backend ?? EngineBackend.Instance);
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
                        var logged = p.LastLogged;
                        task.Description = Markup.Escape(logged is null
                            ? $"{name}  epoch {p.Epoch}"
                            : string.Create(CultureInfo.InvariantCulture,
                                $"{name}  epoch {p.Epoch}  train {logged.TrainLoss:G3}  test {logged.TestLoss:G3}  acc {logged.TestAccuracy:P1}"));
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

    private static string F(double? v) => v?.ToString("G4", CultureInfo.InvariantCulture) ?? "-";

    /// <summary>Reports on the training thread, so the bar shows the epoch just finished.</summary>
    private sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
