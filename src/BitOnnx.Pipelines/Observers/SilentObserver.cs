using BitOnnx.Analysis;
using BitOnnx.Core.Training;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Pipelines.Observers;

/// <summary>Runs every step and shows nothing: for library callers and tests that read the returned results.</summary>
public sealed class SilentObserver(CancellationToken cancel = default) : IPipelineObserver
{
    public static SilentObserver Instance { get; } = new();

    public TrainingResult Train(string label, int epochs, Func<IProgress<TrainingProgress>, CancellationToken, TrainingResult> job) =>
        job(Ignored<TrainingProgress>.Sink, cancel);

    public long TrainSequence(string label, long steps, long startStep, Func<IProgress<SequenceTrainingProgress>, CancellationToken, long> job) =>
        job(Ignored<SequenceTrainingProgress>.Sink, cancel);

    public T Analyze<T>(Func<Func<string?, IProgress<AnalysisProgress>>, T> job) => job(_ => Ignored<AnalysisProgress>.Sink);

    public void Show(ResultTable table)
    {
    }

    public void Say(string line, bool warning = false)
    {
    }

    private sealed class Ignored<T> : IProgress<T>
    {
        public static Ignored<T> Sink { get; } = new();

        public void Report(T value)
        {
        }
    }
}
