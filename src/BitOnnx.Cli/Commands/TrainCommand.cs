using System.CommandLine;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Training;
using BitOnnx.Pipelines.Sequence;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Cli.Commands;

/// <summary>
/// <c>bitonnx train</c>: one model, docs/recipe.md's recipe by default, written to a run folder. Its options, their help
/// and their checks are the library's tables (<see cref="TrainTasks"/>: modular addition's <see cref="TrainArguments"/>,
/// arithmetic's <see cref="SequenceTrainArguments"/>).
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var options = new CommandLineOptions(TrainTasks.Options);
        var command = new Command("train", "Train one model, on modular addition or n-digit arithmetic (--task add5), and write a run folder.");
        options.AddTo(command);
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var given = options.Given(r);
            if (TrainTasks.IsArithmetic(given))
            {
                var sequence = SequenceTrainArguments.Build(given);
                return SequenceTrainingPipeline.Run(sequence, new ConsoleObserver()).Interrupted ? CliRunner.ExitInterrupted : 0;
            }
            var request = TrainArguments.Build(TrainTasks.ForModularAddition(given));
            // Resolved before the trainer writes anything, so a backend that cannot load leaves no files behind.
            var backend = TrainingBackends.Resolve(request.Backend);
            var result = TrainRun.Execute(request.Config, request.Options, request.OutputFolder, request.Resume, backend: backend, force: request.Force);
            return result.Interrupted ? CliRunner.ExitInterrupted : 0;
        }));
        return command;
    }
}
