using System.CommandLine;
using BitOnnx.Pipelines.Demo;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx demo</c>: the main job on its defaults.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o") { Description = "Folder for runs/, models/ and report/.", DefaultValueFactory = _ => "demo" };
        var seed = new Option<long>("--seed") { Description = "Seed of every model's weights and split.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "Worker threads (results are identical for any count).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var quick = new Option<bool>("--quick") { Description = "CI-sized models (P = 31) instead of the paper's P = 113: about a minute instead of about 20." };
        var command = new Command("demo",
            "Train li2024 binary and ternary and nanda2023 full precision at P = 113, export each to ONNX with probes, verify each on ONNX Runtime, analyse them side by side and write the report. Rerunning reuses finished runs.")
        {
            output, seed, threads, quick,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            try
            {
                DemoPipeline.Run(new DemoRequest(r.GetValue(output)!, r.GetValue(seed), r.GetValue(threads), r.GetValue(quick)), new ConsoleObserver());
                return 0;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("Interrupted; run the same command again to resume.");
                return CliRunner.ExitInterrupted;
            }
        }));
        return command;
    }
}
