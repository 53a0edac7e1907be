using System.Globalization;
using System.Text;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Statistics;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>README.md of a finished sequence run: what the model is, the command that rebuilds it, how it trained and what it answers.</summary>
public static class SequenceModelCard
{
    public static string Text(SequenceTrainRequest request, SequenceRunFolder run, SequenceEvaluation? evaluation)
    {
        var c = request.Config;
        var o = request.Options;
        var task = request.Task;
        string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        var name = Path.GetFileName(run.Path);
        var operation = task.Mix switch
        {
            ArithmeticMix.Addition => "addition",
            ArithmeticMix.Subtraction => "subtraction",
            _ => "addition and subtraction (66% subtraction)",
        };
        var example = new ArithmeticQuestion(Example(task.Digits, 1), Example(task.Digits, 2),
            task.Mix == ArithmeticMix.Subtraction ? ArithmeticOperation.Subtraction : ArithmeticOperation.Addition, task.Digits).FormatWithAnswer();
        var weights = c.Quantization == WeightQuantization.None ? "full-precision" : c.Quantization.ToString().ToLowerInvariant()
            + (c.BinaryScale == BinaryScale.AbsMean ? " (β = mean|W|)" : "");
        var parameters = c.Parameters().Sum(p => p.Shape.Size);
        var text = new StringBuilder();
        text.AppendLine(I($"# {name}"));
        text.AppendLine();
        text.AppendLine(I($"A {c.NLayers}-layer transformer as Quirke, Neo and Barez (2024, arXiv 2402.02619) train on n-digit arithmetic, with {weights} weights (W_Q, W_K, W_V, W_O, W_in, W_out), trained on {task.Digits}-digit {operation} ({task.Name}): d_model {c.DModel}, {c.NHeads} heads of {c.DHead}, d_mlp {c.DMlp}, LayerNorm, learned positions, causal attention, {parameters:N0} parameters. It reads `{example}` one token at a time and predicts the answer's sign and {task.Digits + 1} digits, each from the token before it (n_ctx {c.NCtx}, vocabulary 0-9 + - =)."));
        text.AppendLine();
        text.AppendLine("Made by:");
        text.AppendLine();
        text.AppendLine("```bash");
        text.AppendLine(SequenceCommandLine.For(request, request.OutputFolder.Replace('\\', '/')));
        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine("| fact | value |");
        text.AppendLine("|---|---|");
        text.AppendLine(I($"| data | a fresh batch of {o.BatchSize} every step, enrichment {SequenceTrainArguments.EnrichmentName(task.Enrichment)} |"));
        text.AppendLine(I($"| training | {o.Steps} steps of AdamW, lr {o.LearningRate} (linear warm-up from 0.01 x lr over the first fifth, then a cosine to 0), weight decay {o.WeightDecay}, betas ({o.Beta1}, {o.Beta2}), seed {o.Seed} |"));
        if (run.ReadMetricRows() is { Count: > 0 } rows)
            text.AppendLine(I($"| last logged step | {rows[^1][0]}: loss {rows[^1][2]}, answers right {rows[^1][3]} (of that step's training batch) |"));
        text.AppendLine();
        if (evaluation is { } e)
        {
            var a = e.Accuracy;
            text.AppendLine("## Accuracy");
            text.AppendLine();
            text.AppendLine(I($"{a.Questions:N0} fresh uniform questions (seed {e.Seed}), every answer token decoded greedily: **{a.Failures} wrong**, accuracy {Percentages.Of(a.Accuracy, a.Questions)}, 95% Clopper-Pearson interval [{Percentages.Of(a.Interval.Lower, a.Questions)}, {Percentages.Of(a.Interval.Upper, a.Questions)}]."));
            text.AppendLine();
            text.AppendLine("| quanta class | questions | wrong |");
            text.AppendLine("|---|---|---|");
            foreach (var cls in a.ByClass) text.AppendLine(I($"| {cls.Class} | {cls.Questions} | {cls.Failures} |"));
            text.AppendLine();
            foreach (var f in a.FirstFailures) text.AppendLine(I($"- failed: `{f}`"));
            if (a.FirstFailures.Count > 0) text.AppendLine();
            text.AppendLine("The cascade cases:");
            text.AppendLine();
            text.AppendLine("| question | answer | model |");
            text.AppendLine("|---|---|---|");
            foreach (var q in e.Cascades) text.AppendLine(I($"| {q.Question} | {q.Expected} | {q.Answer}{(q.Right ? "" : " (wrong)")} |"));
            text.AppendLine();
        }
        text.AppendLine("Files: `model.safetensors` (the weights under TransformerLens names, config in its metadata; `SequenceTransformer.Load`), `metrics.csv` (every logged step: loss, answer accuracy and each answer slot's accuracy on its training batch), `config.json` (the run's settings), `eval.json` (the accuracy above).");
        text.AppendLine();
        // The card is written before any export, so it names the export rather than a file it cannot vouch for.
        text.AppendLine(I($"ONNX: `bitonnx export {name}/model.safetensors -o {name}/{name}.onnx --probes all --writable all` writes the graph (every hook a probe and writable) that `bitonnx predict {name}.onnx {example[..example.IndexOf('=')]}` answers with and `bitonnx quanta` reads."));
        return text.ToString();
    }

    public static void Write(SequenceTrainRequest request, SequenceRunFolder run, SequenceEvaluation? evaluation) =>
        AtomicFile.WriteText(run.CardFile, Text(request, run, evaluation));

    /// <summary>12345 and 54321 at five digits: an operand that uses every column.</summary>
    private static long Example(int digits, int start)
    {
        long value = 0;
        for (int i = 0; i < digits; i++) value = value * 10 + (start == 1 ? i % 9 + 1 : (digits - i - 1) % 9 + 1);
        return value;
    }
}
