using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;
namespace BitOnnx.Analysis.Inputs;

/// <summary>
/// Readers that check a probe's shape against the task (batch = P*P, [a, b, =] positions) and cut out the slices
/// the analyses use, as double. Every shape error says which probe, what was found and what was expected.
/// </summary>
public static class ProbeViews
{
    /// <summary>Position of <c>=</c> in [a, b, =], where the answer is read.</summary>
    public const int EqualsPosition = 2;

    /// <summary>Last-position logits as [P*P, P] (accepts [P*P, P] or [P*P, pos, P], then the last position).</summary>
    public static float[] Logits(IProbeSource source)
    {
        var t = source.Get(HookNames.Logits);
        int p = source.P;
        RequireBatch(t, p);
        if (t.Shape.Length == 2)
        {
            RequireDim(t, 1, p, "P logits per input");
            return t.Data;
        }
        if (t.Shape.Length == 3)
        {
            RequireDim(t, 2, p, "P logits per input");
            return PositionSlice(t, p, t.Shape[1] - 1);
        }
        throw ShapeError(t, $"[{p * p}, {p}] (last-position logits)");
    }

    /// <summary>Rows of a [batch, pos, width] probe at one position, as [P*P, width].</summary>
    public static float[] PositionSlice(ProbeTensor t, int p, int position)
    {
        RequireBatch(t, p);
        if (t.Shape.Length != 3) throw ShapeError(t, $"[{p * p}, pos, width]");
        int positions = t.Shape[1], width = t.Shape[2];
        if (position < 0 || position >= positions)
            throw ShapeError(t, $"at least {position + 1} positions ([a, b, =])");
        var result = new float[p * p * width];
        for (int row = 0; row < p * p; row++)
        {
            Array.Copy(t.Data, ((long)row * positions + position) * width, result, (long)row * width, width);
        }
        return result;
    }

    /// <summary>Width of a [batch, pos, width] probe.</summary>
    public static int Width(ProbeTensor t) => t.Shape.Length == 3 ? t.Shape[2] : throw ShapeError(t, "[batch, pos, width]");

    /// <summary>
    /// Attention from query position <paramref name="q"/> to key position <paramref name="k"/>, one (a, b) map
    /// [P*P] per head, from a [batch, head, q_pos, k_pos] probe.
    /// </summary>
    public static double[][] AttentionMaps(ProbeTensor t, int p, int q, int k)
    {
        RequireBatch(t, p);
        if (t.Shape.Length != 4) throw ShapeError(t, $"[{p * p}, head, q_pos, k_pos]");
        int heads = t.Shape[1], qn = t.Shape[2], kn = t.Shape[3];
        if (q >= qn || k >= kn) throw ShapeError(t, $"q_pos > {q} and k_pos > {k} ([a, b, =])");
        var maps = new double[heads][];
        for (int h = 0; h < heads; h++)
        {
            var map = new double[p * p];
            for (int row = 0; row < p * p; row++)
            {
                map[row] = t.Data[(((long)row * heads + h) * qn + q) * kn + k];
            }
            maps[h] = map;
        }
        return maps;
    }

    /// <summary>
    /// The number-token embedding W_E[:P] as [P, d_model]: from <c>embed.W_E</c> when the weight source has it,
    /// else read off <c>hook_embed</c> at position 0 (row a*P holds token a).
    /// </summary>
    public static double[] NumberEmbedding(IProbeSource probes, IWeightSource? weights, out int dModel)
    {
        int p = probes.P;
        if (weights != null && weights.TryGet(ParameterNames.Embed, out var we))
        {
            if (we.Shape.Length != 2 || we.Shape[0] < p)
                throw ShapeError(we, $"[d_vocab >= {p}, d_model]");
            dModel = we.Shape[1];
            var e = new double[p * dModel];
            for (int i = 0; i < e.Length; i++) e[i] = we.Data[i];
            return e;
        }
        var embed = probes.Get(HookNames.Embed);
        RequireBatch(embed, p);
        dModel = Width(embed);
        var rows = new double[p * dModel];
        int positions = embed.Shape[1];
        for (int a = 0; a < p; a++)
        {
            long src = (long)a * p * positions * dModel;
            for (int d = 0; d < dModel; d++) rows[a * dModel + d] = embed.Data[src + d];
        }
        return rows;
    }

    /// <summary>A 2-D weight as double, its shape checked against [<paramref name="rows"/>, <paramref name="cols"/>] (-1 = any).</summary>
    public static double[] Matrix(ProbeTensor w, int rows, int cols, out int actualRows, out int actualCols)
    {
        if (w.Shape.Length != 2 || (rows >= 0 && w.Shape[0] != rows) || (cols >= 0 && w.Shape[1] != cols))
        {
            throw ShapeError(w, $"[{(rows < 0 ? "any" : rows)}, {(cols < 0 ? "any" : cols)}]");
        }
        actualRows = w.Shape[0];
        actualCols = w.Shape[1];
        var m = new double[w.Data.Length];
        for (int i = 0; i < m.Length; i++) m[i] = w.Data[i];
        return m;
    }

    private static void RequireBatch(ProbeTensor t, int p)
    {
        if (t.Shape.Length == 0 || t.Shape[0] != p * p)
        {
            throw new ModelContractException(
                $"Probe '{t.Name}' has shape {t.ShapeText}, but the analysis needs all P*P = {p * p} inputs (P = {p}) " +
                "as its batch, in row-major (a, b) order. Run the model over the full input grid.");
        }
    }

    private static void RequireDim(ProbeTensor t, int axis, int expected, string meaning)
    {
        if (t.Shape[axis] != expected)
            throw ShapeError(t, $"{expected} along axis {axis} ({meaning})");
    }

    private static ModelContractException ShapeError(ProbeTensor t, string expected) =>
        new($"Tensor '{t.Name}' has shape {t.ShapeText}; expected {expected}.");
}
