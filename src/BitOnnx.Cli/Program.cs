using System.CommandLine;
using BitOnnx.Cli;
using BitOnnx.Cli.Commands;

var root = new RootCommand("bitonnx: train binary, ternary and full-precision transformers on modular addition, export them to ONNX, and look inside them.")
{
    TrainCommand.Create(),
};
return CliRunner.Run(root, args);
