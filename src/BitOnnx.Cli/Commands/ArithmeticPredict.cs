using System.Globalization;
using BitOnnx.Core.Statistics;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary>
/// <c>bitonnx predict</c> for an exported arithmetic model (a sequence model): one question answered by greedy decoding,
/// or the accuracy over N fresh uniform questions with its interval and its failures by quanta class.
/// </summary>
internal static class ArithmeticPredict
{
    /// <summary>Questions per greedy batch: each is n + 2 calls of the model, one per answer token.</summary>
    private const int BatchSize = 1000;

    /// <summary>Whether <paramref name="path"/> is an .onnx file that says it is a sequence model (anything unreadable is left to the usual errors).</summary>
    public static bool IsSequenceModel(string path)
    {
        if (!File.Exists(path) || !path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            return SequenceExportMetadata.IsSequenceModel(OnnxModel.Load(path));
        }
        catch (Exception e) when (e is OnnxFormatException or IOException)
        {
            return false;
        }
    }

    public static int Run(string path, string? question, string? extra, long? questions, long seed, bool all, string provider)
    {
        using var session = SequenceSession.Open(path, new ModelSessionOptions { Provider = ModelSessionOptions.ParseProvider(provider) });
        var task = session.AsArithmeticTask();
        string name = Path.GetFileName(path), example = Example(task);
        if (all) throw new CliException($"--all evaluates every pair of a modular-addition model; '{name}' answers {task.Name} questions: use --questions N.");
        if (extra is not null)
            throw new CliException($"'{name}' answers {task.Name} questions, given as one argument such as {example}, not two numbers ('{question}' and '{extra}').");
        if (questions is not null)
        {
            if (question is not null) throw new CliException($"Give a question such as {example} or --questions N, not both.");
            if (questions < 1) throw new CliException($"--questions {questions} asks for no questions; give 1 or more.");
            return Evaluate(session, task, questions.Value, seed);
        }
        if (question is null) throw new CliException($"Give a question of task {task.Name} such as {example}, or --questions N to measure the accuracy.");
        var parsed = task.ParseQuestion(question);
        Console.Out.WriteLine($"{parsed.Format()}={ArithmeticEvaluation.Answer(session.Logits, parsed)}");
        return 0;
    }

    /// <summary>A model of another kind given a question: the sentence that says so.</summary>
    public static bool LooksLikeQuestion(string? text) =>
        text is { Length: > 1 } && (text.IndexOfAny(['+', '=']) >= 0 || text.IndexOf('-', 1) >= 0);

    private static int Evaluate(SequenceSession session, ArithmeticTask task, long questions, long seed)
    {
        // Redirected output gets the result alone: Spectre would print the bar's refreshes as lines among it.
        var result = AnsiConsole.Profile.Capabilities.Interactive
            ? EvaluateWithBar(session, task, questions, seed)
            : ArithmeticEvaluation.Evaluate(session.Logits, task, questions, seed, BatchSize);
        Print(result, task, seed);
        return 0;
    }

    private static ArithmeticAccuracy EvaluateWithBar(SequenceSession session, ArithmeticTask task, long questions, long seed)
    {
        ArithmeticAccuracy result = null!;
        long calls = (questions + BatchSize - 1) / BatchSize * (task.Digits + 2);
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{questions:N0} fresh {task.Name} questions (ONNX Runtime)")), maxValue: calls);
                // Each call of the model is one answer token for a batch: counted here, on the calling thread.
                SequenceLogits counted = (tokens, rows, length) =>
                {
                    var logits = session.Logits(tokens, rows, length);
                    bar.Increment(1);
                    return logits;
                };
                result = ArithmeticEvaluation.Evaluate(counted, task, questions, seed, BatchSize);
            });
        return result;
    }

    private static void Print(ArithmeticAccuracy result, ArithmeticTask task, long seed)
    {
        var right = result.Questions - result.Failures;
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"accuracy over {result.Questions} fresh {task.Name} questions (seed {seed}): {right}/{result.Questions} = {Percentages.Of(result.Accuracy, result.Questions)}, 95% Clopper-Pearson interval [{Percentages.Of(result.Interval.Lower, result.Questions)}, {Percentages.Of(result.Interval.Upper, result.Questions)}]"));
        var table = new Table().AddColumns("quanta class", "questions", "failures", "failure rate");
        foreach (var c in result.ByClass.Where(c => c.Questions > 0))
            table.AddRow(c.Class, c.Questions.ToString(CultureInfo.InvariantCulture), c.Failures.ToString(CultureInfo.InvariantCulture),
                Percentages.Of((double)c.Failures / c.Questions, c.Questions));
        AnsiConsole.Write(table);
        if (result.FirstFailures.Count > 0)
            Console.Out.WriteLine($"first failures (question=model's answer): {string.Join(" ", result.FirstFailures)}");
    }

    /// <summary>"123+321" for add3: a question the task takes.</summary>
    private static string Example(ArithmeticTask task)
    {
        var digits = string.Concat(Enumerable.Range(0, task.Digits).Select(i => (char)('1' + i % 9)));
        var op = task.Mix == ArithmeticMix.Subtraction ? "-" : "+";
        return digits + op + new string(digits.Reverse().ToArray());
    }
}
