using BitOnnx.Core.Training;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>How a cell's turn ended.</summary>
public enum CellOutcome
{
    /// <summary>Trained to its end now.</summary>
    Done,

    /// <summary>Done before; left as it was.</summary>
    AlreadyDone,

    /// <summary>Its run failed; the detail is the error, also in its status.json.</summary>
    Failed,

    /// <summary>Another worker holds its lock; left to that worker.</summary>
    Busy,

    /// <summary>Stopped (Ctrl-C, or its worker ended) with a state to resume from.</summary>
    Interrupted,
}

/// <summary>What a sweep reports as it goes; the CLI renders it.</summary>
public abstract record SweepProgress(SweepCell Cell);

/// <summary>A cell starts training, from scratch or from the epoch (an arithmetic cell: the step) it resumes at.</summary>
public sealed record CellStarted(SweepCell Cell, int? ResumedFrom) : SweepProgress(Cell);

/// <summary>A cell finished an epoch.</summary>
public sealed record CellTrained(SweepCell Cell, TrainingProgress Progress) : SweepProgress(Cell);

/// <summary>An arithmetic cell scored a logged step (its batch before the update).</summary>
public sealed record CellStepped(SweepCell Cell, SequenceTrainingProgress Progress) : SweepProgress(Cell);

/// <summary>A cell's turn ended; <see cref="Detail"/> is the error of a failed cell, or where to look.</summary>
public sealed record CellEnded(SweepCell Cell, CellOutcome Outcome, string? Detail) : SweepProgress(Cell);
