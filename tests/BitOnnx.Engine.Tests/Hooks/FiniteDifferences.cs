using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Tests.Reference;

namespace BitOnnx.Engine.Tests.Hooks;

/// <summary>
/// Central differences of a metric of the double reference, perturbing a hook's value after its writes (a delta edit
/// on top of the same writes as the engine's run, whose values are fixed: means and resamples already resolved).
/// </summary>
public sealed class FiniteDifferences(HookCase model, LogitMetric metric, IReadOnlyList<HookWrite> writes)
{
    /// <summary>(f(+h) − f(−h)) / 2h with the hook's value moved by ±h·direction ([rows, row size]).</summary>
    public double Along(string hook, double[] direction, double step) =>
        Difference(hook, direction, step, Enumerable.Range(0, model.Rows).ToArray());

    /// <summary>
    /// d metric / d element <paramref name="index"/> of the hook ([rows, row size]). Rows are independent and the
    /// metric is a mean over them, so only the element's own row is run (its term over all rows' count).
    /// </summary>
    public double At(string hook, int size, int index, double step)
    {
        var rowSize = size / model.Rows;
        var direction = new double[rowSize];
        direction[index % rowSize] = 1;
        return Difference(hook, direction, step, [index / rowSize]);
    }

    private double Difference(string hook, double[] direction, double step, int[] rows)
    {
        double[] Rows(double[] values, int rowSize) => rows.SelectMany(n => values.Skip(n * rowSize).Take(rowSize)).ToArray();
        var tokens = rows.SelectMany(n => model.Tokens.Skip(n * model.Config.NCtx).Take(model.Config.NCtx)).ToArray();
        double At(double sign)
        {
            var edits = writes.ToDictionary(w => w.Hook, w =>
            {
                var edit = ReferenceEdit.Write(w);
                return edit with { Values = Rows(edit.Values!, edit.Mask!.Length) };
            });
            var delta = Array.ConvertAll(direction, x => sign * step * x);
            edits[hook] = edits.TryGetValue(hook, out var write) ? write with { Delta = delta } : new ReferenceEdit(Delta: delta);
            return model.ReferenceMetric(metric, model.Reference(edits, tokens)[HookNames.Logits], rows);
        }
        return (At(1) - At(-1)) / (2 * step);
    }
}
