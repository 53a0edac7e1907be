using System.Runtime.Intrinsics;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Engine.Training;

/// <summary>
/// BIMT's connection cost of this transformer (Liu, Gan and Tegmark 2023, arXiv 2305.08746, §2: the cost of a connection
/// is |w| times its length, with layers a distance l0 apart; the authors' code scales the distance along a layer by
/// A = 2 and averages over each weight matrix). Every layer's units sit on [0, 1] at evenly spaced coordinates
/// (i + ½)/n, as the authors' linspace(1/2n, 1 − 1/2n, n):
/// <list type="bullet">
/// <item>residual stream dimension r at x_r = (r + ½)/d_model; nothing swaps the stream, so these never move;</item>
/// <item>attention: the n_heads·d_head dimensions of q, k, v and z on one line, dimension c of the head at place p at
///   z = (p·d_head + c + ½)/(n_heads·d_head): a head occupies one contiguous stretch and moves as a whole;</item>
/// <item>MLP neuron at place p at y_p = (p + ½)/d_mlp.</item>
/// </list>
/// Of each block, W_Q, W_K, W_V [head, d_model, d_head] and W_O [head, d_head, d_model] connect the stream with the
/// attention line, W_in [d_model, d_mlp] and W_out [d_mlp, d_model] the stream with the MLP line; each matrix M costs
/// (1/|M|)·Σ |M_ij|·(A·|x_i − y_j| + l0), and the cost is the sum over the six matrices of every block. Embeddings,
/// unembedding and the final norm carry none. With binary or ternary weights the cost is on the latent float weights
/// the optimizer updates (the straight-through estimator's latents), not on the quantized codes.
/// </summary>
public sealed class LocalityCost
{
    private readonly TransformerConfig _config;
    /// <summary>[d_model, n_heads·d_head]: A·|x_r − z_a| + l0.</summary>
    private readonly double[] _attentionLength;
    /// <summary>[d_model, d_mlp]: A·|x_r − y_p| + l0.</summary>
    private readonly double[] _mlpLength;
    /// <summary>Per block: W_Q, W_K, W_V, W_O, W_in, W_out where every set of the config's layout holds them (no name lookups in the swaps' inner loop).</summary>
    private readonly ParameterInfo[][] _matrices;

    public LocalityCost(TransformerConfig config)
    {
        _config = config.Validated();
        int d = config.DModel, w = config.AttentionWidth, m = config.DMlp;
        _attentionLength = new double[d * w];
        _mlpLength = new double[d * m];
        for (var r = 0; r < d; r++)
        {
            for (var a = 0; a < w; a++) _attentionLength[r * w + a] = Length(Coordinate(r, d), Coordinate(a, w));
            for (var p = 0; p < m; p++) _mlpLength[r * m + p] = Length(Coordinate(r, d), Coordinate(p, m));
        }
        var layout = ParameterSet.Zeros(config);
        _matrices = Enumerable.Range(0, config.NLayers)
            .Select(l => Matrices(config).Skip(6 * l).Take(6).Select(layout.Info).ToArray()).ToArray();
    }

    /// <summary>The coordinate of unit <paramref name="i"/> of a layer of <paramref name="n"/>: (i + ½)/n.</summary>
    public static double Coordinate(int i, int n) => (i + 0.5) / n;

    /// <summary>A connection's length between coordinates on neighbouring layers: A·|x − y| + l0.</summary>
    public static double Length(double x, double y) => BimtSettings.DistanceWeight * Math.Abs(x - y) + BimtSettings.LayerGap;

    /// <summary>The names of the matrices that carry the cost, block by block.</summary>
    public static IEnumerable<string> Matrices(TransformerConfig config) =>
        Enumerable.Range(0, config.NLayers).SelectMany(l => new[]
        {
            ParameterNames.Query(l), ParameterNames.Key(l), ParameterNames.Value(l), ParameterNames.Output(l),
            ParameterNames.MlpIn(l), ParameterNames.MlpOut(l),
        });

    /// <summary>The cost of <paramref name="weights"/> with every unit at its place in <paramref name="layout"/>, in double.</summary>
    public double Of(ParameterSet weights, NeuronLayout layout)
    {
        var total = 0.0;
        for (var l = 0; l < _config.NLayers; l++)
        {
            for (var h = 0; h < _config.NHeads; h++) total += Unit(weights, l, NeuronKind.Head, h, layout.PlaceOf(l, NeuronKind.Head, h));
            for (var n = 0; n < _config.DMlp; n++) total += Unit(weights, l, NeuronKind.Neuron, n, layout.PlaceOf(l, NeuronKind.Neuron, n));
        }
        return total;
    }

    /// <summary>
    /// The part of the cost that the unit in <paramref name="slot"/> pays when it sits at <paramref name="place"/>: the
    /// cost is a sum of such parts, since the stream it connects to never moves. A swap changes two of them.
    /// </summary>
    public double Unit(ParameterSet weights, int block, NeuronKind kind, int slot, int place)
    {
        int d = _config.DModel, e = _config.DHead, w = _config.AttentionWidth, m = _config.DMlp;
        var matrices = _matrices[block];
        var sum = 0.0;
        if (kind == NeuronKind.Head)
        {
            for (var k = 0; k < 3; k++)
            {
                var q = weights.Slice(matrices[k]);
                var s = 0.0;
                for (var r = 0; r < d; r++)
                    for (var c = 0; c < e; c++) s += Math.Abs(q[(slot * d + r) * e + c]) * _attentionLength[r * w + place * e + c];
                sum += s / q.Length;
            }
            var o = weights.Slice(matrices[3]);
            var so = 0.0;
            for (var c = 0; c < e; c++)
                for (var r = 0; r < d; r++) so += Math.Abs(o[(slot * e + c) * d + r]) * _attentionLength[r * w + place * e + c];
            return sum + so / o.Length;
        }
        var wIn = weights.Slice(matrices[4]);
        var wOut = weights.Slice(matrices[5]);
        double sIn = 0, sOut = 0;
        for (var r = 0; r < d; r++)
        {
            sIn += Math.Abs(wIn[r * m + slot]) * _mlpLength[r * m + place];
            sOut += Math.Abs(wOut[slot * d + r]) * _mlpLength[r * m + place];
        }
        return sIn / wIn.Length + sOut / wOut.Length;
    }

    /// <summary>Σ|w| over the unit's connections: how BIMT ranks the candidates of a round of swaps.</summary>
    public double Weight(ParameterSet weights, int block, NeuronKind kind, int slot)
    {
        var matrices = _matrices[block];
        var sum = 0.0;
        if (kind == NeuronKind.Head)
        {
            for (var k = 0; k < 4; k++)
            {
                var slab = matrices[k].Shape.Size / _config.NHeads;
                foreach (var v in weights.Slice(matrices[k]).Slice(slot * slab, slab)) sum += Math.Abs(v);
            }
            return sum;
        }
        int d = _config.DModel, m = _config.DMlp;
        var wIn = weights.Slice(matrices[4]);
        var wOut = weights.Slice(matrices[5]);
        for (var r = 0; r < d; r++) sum += Math.Abs(wIn[r * m + slot]);
        foreach (var v in wOut.Slice(slot * d, d)) sum += Math.Abs(v);
        return sum;
    }

    /// <summary>
    /// Writes into <paramref name="factors"/> (the parameters' layout) each weight's λ·∂cost/∂|w| = λ·length/|M|,
    /// rounded to float once, so that the gradient is <c>sign(w)·factor</c>; zero where the cost does not reach.
    /// </summary>
    public void Factors(NeuronLayout layout, double lambda, ParameterSet factors)
    {
        Array.Clear(factors.Data);
        int d = _config.DModel, e = _config.DHead, w = _config.AttentionWidth, m = _config.DMlp;
        for (var l = 0; l < _config.NLayers; l++)
        {
            foreach (var name in new[] { ParameterNames.Query(l), ParameterNames.Key(l), ParameterNames.Value(l) })
            {
                var f = factors[name];
                var scale = lambda / f.Length;
                for (var h = 0; h < _config.NHeads; h++)
                {
                    var place = layout.PlaceOf(l, NeuronKind.Head, h);
                    for (var r = 0; r < d; r++)
                        for (var c = 0; c < e; c++) f[(h * d + r) * e + c] = (float)(scale * _attentionLength[r * w + place * e + c]);
                }
            }
            var o = factors[ParameterNames.Output(l)];
            var oScale = lambda / o.Length;
            for (var h = 0; h < _config.NHeads; h++)
            {
                var place = layout.PlaceOf(l, NeuronKind.Head, h);
                for (var c = 0; c < e; c++)
                    for (var r = 0; r < d; r++) o[(h * e + c) * d + r] = (float)(oScale * _attentionLength[r * w + place * e + c]);
            }
            var fIn = factors[ParameterNames.MlpIn(l)];
            var fOut = factors[ParameterNames.MlpOut(l)];
            var (inScale, outScale) = (lambda / fIn.Length, lambda / fOut.Length);
            for (var n = 0; n < m; n++)
            {
                var place = layout.PlaceOf(l, NeuronKind.Neuron, n);
                for (var r = 0; r < d; r++)
                {
                    fIn[r * m + n] = (float)(inScale * _mlpLength[r * m + place]);
                    fOut[n * d + r] = (float)(outScale * _mlpLength[r * m + place]);
                }
            }
        }
    }

    /// <summary>Adds λ·∂cost/∂w = sign(w)·factor to the gradient of every matrix that carries the cost.</summary>
    public void AddGradient(ParameterSet weights, ParameterSet factors, ParameterSet gradient)
    {
        foreach (var name in Matrices(_config)) AddGradient(weights[name], factors[name], gradient[name]);
    }

    /// <summary>
    /// g ← g + s with s = factor where w &gt; 0, −factor where w &lt; 0 and 0 at w = 0 (the subgradient torch's abs
    /// takes there). One addition per element, the same in every lane, so this and <see cref="AddGradientReference"/>
    /// agree bit for bit; one 256-bit path serves AVX2 and AVX-512 machines alike.
    /// </summary>
    public static void AddGradient(ReadOnlySpan<float> weights, ReadOnlySpan<float> factors, Span<float> gradient)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256<float>.Count;
            var zero = Vector256<float>.Zero;
            for (; i <= gradient.Length - lanes; i += lanes)
            {
                var w = Vector256.Create(weights.Slice(i, lanes));
                var f = Vector256.Create(factors.Slice(i, lanes));
                var s = Vector256.ConditionalSelect(Vector256.GreaterThan(w, zero), f,
                    Vector256.ConditionalSelect(Vector256.LessThan(w, zero), -f, zero));
                (Vector256.Create(gradient.Slice(i, lanes)) + s).CopyTo(gradient.Slice(i, lanes));
            }
        }
        for (; i < gradient.Length; i++) gradient[i] += Signed(weights[i], factors[i]);
    }

    /// <summary>The same update one element at a time: the scalar twin the tests hold the vector path to.</summary>
    public static void AddGradientReference(ReadOnlySpan<float> weights, ReadOnlySpan<float> factors, Span<float> gradient)
    {
        for (var i = 0; i < gradient.Length; i++) gradient[i] += Signed(weights[i], factors[i]);
    }

    private static float Signed(float weight, float factor) => weight > 0 ? factor : weight < 0 ? -factor : 0f;
}
