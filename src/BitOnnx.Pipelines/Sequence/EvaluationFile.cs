using System.Text.Json;
using System.Text.Json.Nodes;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>What a finished sequence run was asked and answered: the fresh uniform questions and the cascade cases.</summary>
public sealed record SequenceEvaluation(ArithmeticAccuracy Accuracy, long Seed, IReadOnlyList<CascadeAnswer> Cascades);

/// <summary>eval.json: the accuracy over fresh uniform questions with its 95% Clopper–Pearson interval, the failures by quanta class, the first failures and the cascade cases.</summary>
public static class EvaluationFile
{
    public static string ToJson(SequenceEvaluation evaluation)
    {
        var a = evaluation.Accuracy;
        var json = new JsonObject
        {
            ["questions"] = a.Questions,
            ["distribution"] = "uniform",
            ["seed"] = evaluation.Seed,
            ["failures"] = a.Failures,
            ["accuracy"] = a.Accuracy,
            ["confidence"] = 0.95,
            ["interval_lower"] = a.Interval.Lower,
            ["interval_upper"] = a.Interval.Upper,
            ["by_class"] = new JsonArray(a.ByClass.Select(c => (JsonNode)new JsonObject
            {
                ["class"] = c.Class,
                ["questions"] = c.Questions,
                ["failures"] = c.Failures,
            }).ToArray()),
            ["first_failures"] = new JsonArray(a.FirstFailures.Select(f => (JsonNode)f).ToArray()),
            ["cascades"] = new JsonArray(evaluation.Cascades.Select(c => (JsonNode)new JsonObject
            {
                ["question"] = c.Question,
                ["expected"] = c.Expected,
                ["answer"] = c.Answer,
            }).ToArray()),
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static void Write(string path, SequenceEvaluation evaluation) => AtomicFile.WriteText(path, ToJson(evaluation));
}
