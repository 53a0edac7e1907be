using System.CommandLine;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Training;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Cli.Commands;

/// <summary>
/// <c>bitonnx train</c>: one model, docs/recipe.md's recipe by default, written to a run folder. Its options, their help
/// and their checks are the library's table (<see cref="TrainArguments"/>).
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var options = new CommandLineOptions(TrainArguments.Options);
        var command = new Command("train", "Train one model on modular addition and write a run folder.");
        options.AddTo(command);
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var request = TrainArguments.Build(options.Given(r));
            // Resolved before the trainer writes anything, so a backend that cannot load leaves no files behind.
            var backend = TrainingBackends.Resolve(request.Backend);
            var result = TrainRun.Execute(request.Config, request.Options, request.OutputFolder, request.Resume, backend: backend, force: request.Force);
            return result.Interrupted ? CliRunner.ExitInterrupted : 0;
        }));
        return command;
    }
}
