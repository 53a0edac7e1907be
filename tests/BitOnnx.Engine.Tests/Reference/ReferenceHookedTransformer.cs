using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.TestSupport;

namespace BitOnnx.Engine.Tests.Reference;

/// <summary>
/// An edit of one hook in <see cref="ReferenceHookedTransformer"/>: H' = Mask ? Values : H elementwise, then H' + Delta.
/// Mask is one row (broadcast over rows); Values and Delta are [rows, row size]. A delta after the write is how finite
/// differences perturb the value a hook passes on.
/// </summary>
public sealed record ReferenceEdit(bool[]? Mask = null, double[]? Values = null, double[]? Delta = null)
{
    /// <summary>A write's mask and values, in double.</summary>
    public static ReferenceEdit Write(HookWrite write) =>
        new(Array.ConvertAll(write.Mask, m => m != 0), Array.ConvertAll(write.Values, v => (double)v));
}

/// <summary>
/// The shared double-precision reference (<see cref="HookedReference"/>, written from docs/recipe.md and TransformerLens'
/// hook points, sharing nothing with the engine) run over a batch with <see cref="ReferenceEdit"/>s: an edit of a hook is
/// made as soon as the hook is computed, so everything after sees it. Every hook is kept, laid out as HookNames.For lays
/// out a batch.
/// </summary>
public static class ReferenceHookedTransformer
{
    public static Dictionary<string, double[]> Run(TransformerConfig c, Dictionary<string, double[]> w,
        int[] tokens, IReadOnlyDictionary<string, ReferenceEdit>? edits = null)
    {
        int t = c.NCtx, rows = tokens.Length / t;
        var hooks = HookNames.For(c, rows).ToDictionary(x => x.Name, x => new double[x.Shape.Size]);
        var reference = new HookedReference(c, w);
        for (var n = 0; n < rows; n++)
        {
            var row = n;
            reference.Row(tokens.AsSpan(n * t, t), (name, values) =>
            {
                if (edits is not null && edits.TryGetValue(name, out var edit))
                    for (var i = 0; i < values.Length; i++)
                    {
                        if (edit.Mask is { } mask && mask[i]) values[i] = edit.Values![row * values.Length + i];
                        if (edit.Delta is { } delta) values[i] += delta[row * values.Length + i];
                    }
                values.CopyTo(hooks[name], row * values.Length);
            });
        }
        return hooks;
    }

    /// <summary>Mean over rows of −log softmax(logits)[target], from logits [rows, classes].</summary>
    public static double CrossEntropy(double[] logits, int[] targets, int classes)
    {
        double total = 0;
        for (var n = 0; n < targets.Length; n++)
        {
            var row = logits.AsSpan(n * classes, classes);
            var max = double.NegativeInfinity;
            foreach (var value in row) max = Math.Max(max, value);
            double sum = 0;
            foreach (var value in row) sum += Math.Exp(value - max);
            total += max + Math.Log(sum) - row[targets[n]];
        }
        return total / targets.Length;
    }

    /// <summary>Mean over rows of logit[a] − logit[b].</summary>
    public static double LogitDifference(double[] logits, int[] a, int[] b, int classes)
    {
        double total = 0;
        for (var n = 0; n < a.Length; n++) total += logits[n * classes + a[n]] - logits[n * classes + b[n]];
        return total / a.Length;
    }
}
