using System.Diagnostics;
using System.Globalization;
using BitOnnx.Analysis;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Observers;
using BitOnnx.Torch.Sequence;
using Spectre.Console;

namespace BitOnnx.Cli;

/// <summary>
/// Shows a pipeline's work in the terminal: a live progress bar per training job (Ctrl-C cancels it, leaving its run
/// folder consistent) with a summary row after it, progress rows for analyses, tables and lines.
/// </summary>
public sealed class ConsoleObserver : IPipelineObserver
{
    public TrainingResult Train(string label, int epochs, Func<IProgress<TrainingProgress>, CancellationToken, TrainingResult> job)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
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
                    var task = ctx.AddTask(Markup.Escape(label), maxValue: epochs);
                    var progress = new InlineProgress<TrainingProgress>(p =>
                    {
                        firstEpoch ??= p.Epoch;
                        task.Value = p.Epoch;
                        task.Description = Markup.Escape(ProgressLine(label, p));
                    });
                    result = job(progress, cancel.Token);
                });
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        watch.Stop();
        var r = result!;
        if (r.Interrupted)
        {
            AnsiConsole.MarkupLine($"[yellow]Interrupted at epoch {r.Epoch}.[/] The run folder is consistent; continue with [bold]--resume[/].");
            return r;
        }
        var last = r.Metrics.LastOrDefault();
        var grokked = r.Metrics.FirstOrDefault(m => m.TestAccuracy >= 0.99);
        var table = new Table().AddColumns("run", "epochs", "train loss", "test loss", "test acc", "epoch ≥ 99%", "ms / epoch");
        table.AddRow(Markup.Escape(label), r.Epoch.ToString(CultureInfo.InvariantCulture),
            F(last?.TrainLoss), F(last?.TestLoss), last is null ? "-" : last.TestAccuracy.ToString("P2", CultureInfo.InvariantCulture),
            grokked?.Epoch.ToString(CultureInfo.InvariantCulture) ?? "not reached",
            (watch.Elapsed.TotalMilliseconds / Math.Max(1, r.Epoch - (firstEpoch ?? 1) + 1)).ToString("F1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        if (r.Stop.Reason == StopReason.AccuracyReached)
            AnsiConsole.MarkupLine($"Stopped early: {Markup.Escape(r.Stop.ToString())}.");
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

    /// <summary>A bar over the steps, its text the last scored step's loss and answer accuracy; Ctrl-C cancels between steps.</summary>
    public long TrainSequence(string label, long steps, long startStep, Func<IProgress<SequenceTrainingProgress>, CancellationToken, long> job)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        long reached = startStep;
        try
        {
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(label), maxValue: steps);
                    task.Value = startStep;
                    var progress = new InlineProgress<SequenceTrainingProgress>(p =>
                    {
                        task.Value = p.Step + 1;
                        task.Description = Markup.Escape(SequenceProgressLine(label, p));
                    });
                    reached = job(progress, cancel.Token);
                    task.Value = reached;
                });
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        return reached;
    }

    /// <summary>The bar's text: the scored step, its batch's loss and the share of its answers right in every digit.</summary>
    public static string SequenceProgressLine(string name, SequenceTrainingProgress p) =>
        string.Create(CultureInfo.InvariantCulture, $"{name}  step {p.Step}  loss {p.Score.Loss:G3}  answers {p.Score.AnswerAccuracy:P1}");

    public T Analyze<T>(Func<Func<string?, IProgress<AnalysisProgress>>, T> job)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var rows = new AnalysisProgressRows(ctx);
                result = job(rows.For);
                rows.CompleteAll();
            });
        return result;
    }

    public void Show(ResultTable table)
    {
        var view = new Table().AddColumns(table.Columns.Select(Markup.Escape).ToArray());
        foreach (var row in table.Rows) view.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(view);
    }

    public void Say(string line, bool warning = false) =>
        AnsiConsole.MarkupLine(warning ? $"[yellow]note:[/] {Markup.Escape(line)}" : Markup.Escape(line));

    private static string F(double? v) => v?.ToString("G4", CultureInfo.InvariantCulture) ?? "-";

    /// <summary>Reports on the job's thread, so the bar shows the epoch just finished.</summary>
    private sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
