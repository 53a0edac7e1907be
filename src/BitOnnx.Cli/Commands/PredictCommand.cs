using System.CommandLine;
using System.Globalization;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;
using BitOnnx.Pipelines.Models;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx predict</c>: one pair, or every pair with its accuracy, through ONNX Runtime.</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A model written by bitonnx export: an .onnx file (any signature) or an ML.NET model .zip." };
        var a = new Argument<string?>("a") { Description = "First addend, 0..P-1; for an arithmetic model, the question (12345+54321).", Arity = ArgumentArity.ZeroOrOne };
        var b = new Argument<string?>("b") { Description = "Second addend, 0..P-1.", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Evaluate all P*P pairs and print the accuracy." };
        var questions = new Option<long?>("--questions") { Description = "Arithmetic models: the accuracy over N fresh uniform questions, its 95% Clopper-Pearson interval and the failures by quanta class." };
        var seed = new Option<long>("--seed") { Description = "Seed of the fresh questions of --questions.", DefaultValueFactory = _ => 0 };
        var provider = ProviderOption();
        var command = new Command("predict", "Predict (a + b) mod P, or answer an arithmetic question (12345+54321), with an exported model on ONNX Runtime.")
        {
            model, a, b, all, questions, seed, provider,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var path = r.GetValue(model)!;
            if (ArithmeticPredict.IsSequenceModel(path))
                return ArithmeticPredict.Run(path, r.GetValue(a), r.GetValue(b), r.GetValue(questions), r.GetValue(seed), r.GetValue(all), r.GetValue(provider)!);
            using var session = Open(path, r.GetValue(provider)!);
            var p = session.P;
            if (r.GetValue(questions) is not null)
                throw new CliException($"--questions asks an arithmetic model fresh questions, but '{Path.GetFileName(path)}' is a modular-addition model (P = {p}); use --all to evaluate every pair.");
            if (ArithmeticPredict.LooksLikeQuestion(r.GetValue(a)))
                throw new CliException($"'{r.GetValue(a)}' is an arithmetic question, but '{Path.GetFileName(path)}' is a modular-addition model (P = {p}); give two numbers a and b in 0..{p - 1}, or a model exported from an arithmetic checkpoint.");
            if (r.GetValue(all))
            {
                var rows = ModularAdditionData.AllRows(p);
                var logits = session.Run(Array.ConvertAll(ModularAdditionData.Tokens(p, rows), t => (long)t), [HookNames.Logits])[HookNames.Logits];
                var targets = ModularAdditionData.Targets(p, rows);
                var hits = rows.Count(r => ExportVerification.ArgMax(logits.AsSpan(r * p, p)) == targets[r]);
                AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture, $"accuracy over all {rows.Length} pairs: {hits}/{rows.Length} = {(double)hits / rows.Length:P2}"));
                return 0;
            }
            var first = Operand(r.GetValue(a), "a", p);
            var second = Operand(r.GetValue(b), "b", p);
            var output = session.Run([first, second, p], [HookNames.Logits])[HookNames.Logits];
            AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture, $"({first} + {second}) mod {p} = {ExportVerification.ArgMax(output)}"));
            return 0;
        }));
        return command;
    }

    public static Option<string> ProviderOption()
    {
        var provider = new Option<string>("--provider")
        {
            Description = $"Execution provider: cpu, or cuda (needs a build with {CudaProvider.BuildSwitch}, CUDA 13 and cuDNN 9).",
            DefaultValueFactory = _ => "cpu",
        };
        provider.AcceptOnlyFromAmong(ModelSessionOptions.ProviderNames.ToArray());
        return provider;
    }

    /// <summary>An ONNX model written by bitonnx export, on ONNX Runtime.</summary>
    public static ModelSession OpenSession(string path, string provider)
    {
        if (!File.Exists(path)) throw new CliException($"ONNX model '{path}' does not exist; give an .onnx file written by bitonnx export.");
        return ModelSession.Open(path, new ModelSessionOptions { Provider = ModelSessionOptions.ParseProvider(provider) });
    }

    /// <summary>Any file bitonnx export writes; an ML.NET zip runs on ML.NET's CPU scoring whatever the provider.</summary>
    public static ExportedModel Open(string path, string provider)
    {
        if (!File.Exists(path)) throw new CliException($"Model '{path}' does not exist; give an .onnx file or a model .zip written by bitonnx export.");
        return ExportedModel.Open(path, new ModelSessionOptions { Provider = ModelSessionOptions.ParseProvider(provider) });
    }

    private static long Operand(string? text, string name, int p)
    {
        if (text is null) throw new CliException($"Give two numbers a and b (0..{p - 1}), or --all.");
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw new CliException($"{name} = '{text}' is not a whole number.");
        if (value < 0 || value >= p) throw new CliException($"{name} = {value} is outside 0..{p - 1} for this model (P = {p}).");
        return value;
    }
}
