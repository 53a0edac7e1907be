namespace BitOnnx.Core.Tasks;

/// <summary>
/// What a model learns, apart from its architecture (<see cref="Model.TransformerConfig"/>): the tokens and their
/// names, the context length, the positions whose logits are scored and what each of them predicts. The data comes as
/// a fixed set with a seeded split (<see cref="IFixedSetTask"/>, modular addition) or as fresh seeded batches, one per
/// step (<see cref="IFreshBatchTask"/>, n-digit arithmetic); either way as <see cref="LabelledBatch"/>es, which
/// <see cref="TaskMetrics"/> scores.
/// </summary>
public interface ISequenceTask
{
    /// <summary>A short name for files and messages ("modular-addition", "add5").</summary>
    string Name { get; }

    /// <summary>The input tokens (d_vocab) and their names.</summary>
    TokenVocabulary Vocabulary { get; }

    /// <summary>d_vocab_out: the unembed's outputs; output token t is named as input token t.</summary>
    int OutputVocabularySize { get; }

    /// <summary>n_ctx.</summary>
    int ContextLength { get; }

    /// <summary>The scored positions in the order their targets are stored in a <see cref="LabelledBatch"/>.</summary>
    IReadOnlyList<PredictionSlot> Slots { get; }
}

/// <summary>A task whose every example can be listed, split once by a seed into train and test.</summary>
public interface IFixedSetTask : ISequenceTask
{
    /// <summary>Every example, in a fixed order.</summary>
    LabelledBatch All();

    /// <summary>The seeded train/test split.</summary>
    TaskSplit Split(long seed, double trainFraction);
}

/// <summary>A task whose training draws a fresh batch every step.</summary>
public interface IFreshBatchTask : ISequenceTask
{
    /// <summary>
    /// The batch of <paramref name="step"/>: a function of (seed, step, size) alone, so a resumed run draws what an
    /// uninterrupted one would have, and two seeds draw different batches.
    /// </summary>
    LabelledBatch Batch(long seed, long step, int batchSize);
}

/// <summary>
/// One scored position: the logits at <see cref="Position"/> predict the token at <see cref="TargetPosition"/>
/// (the next token, teacher forced), or, where that is null, a label that is not part of the sequence (modular
/// addition's residue, read at '=').
/// </summary>
public sealed record PredictionSlot(string Name, int Position, int? TargetPosition);

/// <summary>A seeded split of a fixed set.</summary>
public sealed record TaskSplit(LabelledBatch Train, LabelledBatch Test);
