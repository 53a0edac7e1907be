using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// The six linears of every block of a <see cref="SequenceModelConfig"/> model as the pass multiplies by them:
/// quantized per tensor where the config says so (<see cref="WeightQuantizer"/>, li2024's scope), W_Q, W_K, W_V with
/// heads moved inward ([heads, d_model, d_head] → [d_model, heads·d_head]) so one product serves all heads. The same type
/// holds the gradients with respect to these weights, which <see cref="AccumulateInto"/> turns into latent gradients
/// through the straight-through estimator (G − mean(G) per quantized tensor, as TorchSharp's STE).
/// </summary>
internal sealed class SequenceLinears
{
    private readonly SequenceModelConfig _c;
    private readonly float[] _scratch;

    public SequenceLinears(SequenceModelConfig c)
    {
        _c = c;
        int d = c.DModel, w = c.NHeads * c.DHead, m = c.DMlp;
        Blocks = Enumerable.Range(0, c.NLayers).Select(_ => new Block(
            new float[d * w], new float[d * w], new float[d * w], new float[w * d], new float[d * m], new float[m * d])).ToArray();
        _scratch = new float[Math.Max(d * w, d * m)];
    }

    /// <summary>Query, Key, Value [d_model, heads·d_head]; Output [heads·d_head, d_model]; In [d_model, d_mlp]; Out [d_mlp, d_model].</summary>
    public sealed record Block(float[] Query, float[] Key, float[] Value, float[] Output, float[] In, float[] Out)
    {
        public IEnumerable<float[]> All => [Query, Key, Value, Output, In, Out];
    }

    public Block[] Blocks { get; }

    public void Clear()
    {
        foreach (var block in Blocks)
            foreach (var w in block.All) Array.Clear(w);
    }

    public void LoadFrom(ParameterSet latent)
    {
        for (var l = 0; l < _c.NLayers; l++)
        {
            var b = Blocks[l];
            string p = $"blocks.{l}.";
            HeadsInward(Quantized(latent[p + "attn.W_Q"]), b.Query);
            HeadsInward(Quantized(latent[p + "attn.W_K"]), b.Key);
            HeadsInward(Quantized(latent[p + "attn.W_V"]), b.Value);
            Quantize(latent[p + "attn.W_O"], b.Output);
            Quantize(latent[p + "mlp.W_in"], b.In);
            Quantize(latent[p + "mlp.W_out"], b.Out);
        }
    }

    /// <summary>Adds these gradients (with respect to the effective weights) into the latent gradients.</summary>
    public void AccumulateInto(ParameterSet latentGradient)
    {
        for (var l = 0; l < _c.NLayers; l++)
        {
            var b = Blocks[l];
            string p = $"blocks.{l}.";
            ThroughEstimator(HeadsOutward(b.Query), latentGradient[p + "attn.W_Q"]);
            ThroughEstimator(HeadsOutward(b.Key), latentGradient[p + "attn.W_K"]);
            ThroughEstimator(HeadsOutward(b.Value), latentGradient[p + "attn.W_V"]);
            ThroughEstimator(b.Output, latentGradient[p + "attn.W_O"]);
            ThroughEstimator(b.In, latentGradient[p + "mlp.W_in"]);
            ThroughEstimator(b.Out, latentGradient[p + "mlp.W_out"]);
        }
    }

    private void Quantize(ReadOnlySpan<float> latent, Span<float> destination) =>
        WeightQuantizer.Quantize(latent, destination[..latent.Length], _c.Quantization, _c.BinaryScale);

    private Span<float> Quantized(ReadOnlySpan<float> latent)
    {
        var output = _scratch.AsSpan(0, latent.Length);
        Quantize(latent, output);
        return output;
    }

    private void ThroughEstimator(ReadOnlySpan<float> gradient, Span<float> latentGradient)
    {
        var offset = WeightQuantizer.StraightThroughOffset(gradient, _c.Quantization);
        for (var i = 0; i < gradient.Length; i++) latentGradient[i] += gradient[i] - offset;
    }

    private void HeadsInward(ReadOnlySpan<float> perHead, Span<float> inward)
    {
        int h = _c.NHeads, d = _c.DModel, e = _c.DHead;
        for (var head = 0; head < h; head++)
            for (var row = 0; row < d; row++)
                perHead.Slice((head * d + row) * e, e).CopyTo(inward.Slice(row * h * e + head * e, e));
    }

    private Span<float> HeadsOutward(ReadOnlySpan<float> inward)
    {
        int h = _c.NHeads, d = _c.DModel, e = _c.DHead;
        var perHead = _scratch.AsSpan(0, h * d * e);
        for (var head = 0; head < h; head++)
            for (var row = 0; row < d; row++)
                inward.Slice(row * h * e + head * e, e).CopyTo(perHead.Slice((head * d + row) * e, e));
        return perHead;
    }
}
