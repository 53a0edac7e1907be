using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using BitOnnx.Cli.Commands;

namespace BitOnnx.Cli;

/// <summary>The root of the bitonnx command line.</summary>
public static class BitOnnxCommand
{
    /// <summary>Text a command's --help shows after its options (examples), by command name.</summary>
    private static readonly Dictionary<string, string> Examples = new() { ["sweep"] = SweepCommand.Example };

    public static RootCommand Create()
    {
        var root = new RootCommand("bitonnx: train binary, ternary and full-precision transformers on modular addition, export them to ONNX, and look inside them.")
        {
            TrainCommand.Create(),
            SweepCommand.Create(),
            ExportCommand.Create(),
            PredictCommand.Create(),
            VerifyCommand.Create(),
            DemoCommand.Create(),
            AnalyzeCommand.Create(),
            AblateCommand.Create(),
            PatchCommand.Create(),
            CircuitCommand.Create(),
            TranscoderCommand.Create(),
            QuantaCommand.Create(),
        };
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExamples((SynchronousCommandLineAction)help.Action!);
        return root;
    }

    /// <summary>The usual help, then the command's examples: they stay out of the list of commands in the root's help.</summary>
    private sealed class HelpWithExamples(SynchronousCommandLineAction help) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var exit = help.Invoke(parseResult);
            if (Examples.TryGetValue(parseResult.CommandResult.Command.Name, out var examples))
                parseResult.InvocationConfiguration.Output.Write(examples.TrimEnd() + "\n\n");
            return exit;
        }
    }
}
