using BitOnnx.Analysis;
using BitOnnx.Core.Training;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Pipelines.Observers;

/// <summary>
/// How a pipeline shows its work. The pipeline decides what to do and hands each long step to the observer as a job
/// that reports its progress; the observer runs it and shows that progress (the CLI draws bars and tables,
/// <see cref="SilentObserver"/> shows nothing). Steps run one at a time, on the caller's thread.
/// </summary>
public interface IPipelineObserver
{
    /// <summary>
    /// Runs one training job of <paramref name="epochs"/> epochs named <paramref name="label"/>, giving it a progress sink
    /// and the token that cancels it (Ctrl-C in the CLI); returns what the job returns.
    /// </summary>
    TrainingResult Train(string label, int epochs, Func<IProgress<TrainingProgress>, CancellationToken, TrainingResult> job);

    /// <summary>
    /// Runs one sequence-model training job of <paramref name="steps"/> steps that starts at <paramref name="startStep"/>
    /// (later than 0 when resumed), giving it a progress sink for its scored steps and the token that cancels it
    /// (Ctrl-C in the CLI); returns the steps the job says it reached.
    /// </summary>
    long TrainSequence(string label, long steps, long startStep, Func<IProgress<SequenceTrainingProgress>, CancellationToken, long> job);

    /// <summary>
    /// Runs analysis work; the job asks for one progress sink per model (by name, or null for the report as a whole).
    /// </summary>
    T Analyze<T>(Func<Func<string?, IProgress<AnalysisProgress>>, T> job);

    /// <summary>A finished result to show.</summary>
    void Show(ResultTable table);

    /// <summary>One line of news: what was done, or what to know.</summary>
    void Say(string line, bool warning = false);
}

/// <summary>A result as rows of text under a title, as a person would read it in a terminal or a log.</summary>
public sealed record ResultTable(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);
