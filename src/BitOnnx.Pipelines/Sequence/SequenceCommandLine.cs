using System.Globalization;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>
/// The shortest `bitonnx train --task ...` line that rebuilds a sequence run: --task and every setting that differs
/// from the defaults, nothing else. Written on the card and in the line that says how to resume.
/// </summary>
public static class SequenceCommandLine
{
    public static string For(SequenceTrainRequest request, string outputFolder)
    {
        var c = request.Config;
        var o = request.Options;
        var settings = new List<(string Option, string Value)>
        {
            (TrainTasks.Task.Name, request.Task.Name),
            ("--enrichment", SequenceTrainArguments.EnrichmentName(request.Task.Enrichment)),
            ("--quant", c.Quantization.ToString().ToLowerInvariant()),
            ("--binary-scale", c.BinaryScale.ToString().ToLowerInvariant()),
            ("--d-model", Whole(c.DModel)),
            ("--n-heads", Whole(c.NHeads)),
            ("--d-head", Whole(c.DHead)),
            ("--d-mlp", Whole(c.DMlp)),
            ("--n-layers", Whole(c.NLayers)),
            ("--steps", Whole(o.Steps)),
            ("--batch", Whole(o.BatchSize)),
            ("--seed", Whole(o.Seed)),
            ("--lr", Real(o.LearningRate)),
            ("--weight-decay", Real(o.WeightDecay)),
            ("--log-every", Whole(o.MetricsEvery)),
            ("--eval-questions", Whole(request.EvalQuestions)),
            ("--threads", Whole(request.Threads)),
            ("--backend", request.Backend),
        };
        var target = Key(request);
        if (Rebuild(settings) != target)
            throw new InvalidOperationException($"The train options cannot express {c.Describe()} with these training settings.");
        // Drop, one at a time, every setting the defaults already give; --task stays, since it picks the table.
        for (var i = settings.Count - 1; i >= 1; i--)
        {
            var without = settings.Where((_, j) => j != i).ToList();
            if (Rebuilds(without, target)) settings = without;
        }
        return $"{TrainArguments.Command} {string.Join(' ', settings.Select(s => $"{s.Option} {s.Value}"))} {TrainArguments.Out.Name} {outputFolder}";
    }

    private static string Key(SequenceTrainRequest r) =>
        string.Join('|', r.Task.Name, SequenceTrainArguments.EnrichmentName(r.Task.Enrichment), r.Config.ToJson(), r.Options.ToString(),
            r.EvalQuestions.ToString(CultureInfo.InvariantCulture), r.Threads.ToString(CultureInfo.InvariantCulture), r.Backend);

    // The folder plays no part in the settings; a placeholder keeps a path with spaces out of the argument line.
    private static string Rebuild(IEnumerable<(string Option, string Value)> settings) =>
        Key(SequenceTrainArguments.Build(string.Join(' ', settings.Select(s => $"{s.Option} {s.Value}")) + $" {TrainArguments.Out.Name} run"));

    // A line without one setting may be refused (--binary-scale absmean without --quant binary): then that setting stays.
    private static bool Rebuilds(IEnumerable<(string Option, string Value)> settings, string target)
    {
        try
        {
            return Rebuild(settings) == target;
        }
        catch (UsageException)
        {
            return false;
        }
    }

    private static string Whole(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Real(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
