using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Sequence;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>
/// A cell's train request, built as `bitonnx train` builds its command line: an arithmetic cell (--task add5) by
/// <see cref="SequenceTrainArguments"/>, any other by <see cref="TrainArguments"/>.
/// </summary>
public static class SweepCellRequest
{
    /// <summary>Builds the cell's request and drops it: a problem is one <see cref="UsageException"/>.</summary>
    public static void Check(SweepCell cell, string outputFolder)
    {
        if (cell.IsArithmetic) Sequence(cell, outputFolder);
        else Modular(cell, outputFolder);
    }

    public static TrainRequest Modular(SweepCell cell, string outputFolder) =>
        TrainArguments.Build(TrainTasks.ForModularAddition([.. cell.Options, new GivenOption(TrainArguments.Out, outputFolder)]));

    public static SequenceTrainRequest Sequence(SweepCell cell, string outputFolder) =>
        SequenceTrainArguments.Build([.. cell.Options, new GivenOption(TrainArguments.Out, outputFolder)]);
}
