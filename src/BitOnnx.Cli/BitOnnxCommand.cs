using System.CommandLine;
using BitOnnx.Cli.Commands;

namespace BitOnnx.Cli;

/// <summary>The root of the bitonnx command line.</summary>
public static class BitOnnxCommand
{
    public static RootCommand Create() =>
        new("bitonnx: train binary, ternary and full-precision transformers on modular addition, export them to ONNX, and look inside them.")
        {
            TrainCommand.Create(),
            SweepCommand.Create(),
            ExportCommand.Create(),
            PredictCommand.Create(),
            VerifyCommand.Create(),
            DemoCommand.Create(),
            AnalyzeCommand.Create(),
        };
}
