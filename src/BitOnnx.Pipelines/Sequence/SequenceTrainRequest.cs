using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>
/// One `bitonnx train --task add5`, read and checked: the task (its enrichment included), the model, how it trains, the
/// backend by name, the run folder, whether to continue the run there or replace it, and how many fresh uniform
/// questions the finished model is asked.
/// </summary>
public sealed record SequenceTrainRequest(ArithmeticTask Task, SequenceModelConfig Config, SequenceTrainingOptions Options,
    string Backend, string OutputFolder, bool Resume, bool Force, long EvalQuestions, int Threads);

/// <summary>What the given arguments have said so far; <see cref="SequenceTrainArguments.Build(IEnumerable{Arguments.GivenOption})"/> turns it into a request.</summary>
public sealed class SequenceTrainDraft
{
    public string TaskName { get; set; } = SequenceTrainArguments.DefaultTask;
    public string Enrichment { get; set; } = SequenceTrainArguments.Quirke2024;
    /// <summary>Changes to the default model, in the order given.</summary>
    public List<Func<SequenceModelConfig, SequenceModelConfig>> Model { get; } = [];
    public List<Func<SequenceTrainingOptions, SequenceTrainingOptions>> Training { get; } = [];
    /// <summary>Whether --d-head and --d-mlp were given; without them they follow d_model and the heads.</summary>
    public bool HeadWidthGiven { get; set; }
    public bool MlpWidthGiven { get; set; }
    public string Backend { get; set; } = SequenceTrainingBackends.Default;
    public string? OutputFolder { get; set; }
    public bool Resume { get; set; }
    public bool Force { get; set; }
    public long EvalQuestions { get; set; } = SequenceTrainArguments.DefaultEvalQuestions;
    public int Threads { get; set; } = 1;
}
