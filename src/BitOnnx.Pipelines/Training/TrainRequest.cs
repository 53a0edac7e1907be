using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Pipelines.Training;

/// <summary>
/// One `bitonnx train`, read and checked: the model, how it trains, the backend by name and the run folder, and whether
/// to continue the run there (<see cref="Resume"/>) or replace it (<see cref="Force"/>).
/// </summary>
public sealed record TrainRequest(TransformerConfig Config, TrainingOptions Options, string Backend, string OutputFolder, bool Resume, bool Force);

/// <summary>What the given arguments have said so far; <see cref="TrainArguments.Build(IEnumerable{Arguments.GivenOption})"/> turns it into a request.</summary>
public sealed class TrainDraft
{
    public string Preset { get; set; } = new TransformerConfig().Preset;
    /// <summary>Changes to the preset's config, in the order given.</summary>
    public List<Func<TransformerConfig, TransformerConfig>> Model { get; } = [];
    /// <summary>Changes to the recipe's training options (the preset's warm-up included), in the order given.</summary>
    public List<Func<TrainingOptions, TrainingOptions>> Training { get; } = [];
    /// <summary>Whether --d-head was given; without it d_head is d_model / n_heads.</summary>
    public bool HeadWidthGiven { get; set; }
    public string Backend { get; set; } = TrainingBackends.Default;
    public string? OutputFolder { get; set; }
    public bool Resume { get; set; }
    public bool Force { get; set; }
}
