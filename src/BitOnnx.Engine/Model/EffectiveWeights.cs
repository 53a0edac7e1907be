using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;

namespace BitOnnx.Engine.Model;

/// <summary>The six linears of one block as the forward pass multiplies by them.</summary>
/// <remarks>Query/Key/Value [dModel, heads·dHead] (TransformerLens' [heads, dModel, dHead] with heads moved inward so one
/// product serves all heads); Output [heads·dHead, dModel]; MlpIn [dModel, dMlp]; MlpOut [dMlp, dModel].</remarks>
public sealed class BlockWeights(TransformerConfig c)
{
    public float[] Query { get; } = new float[c.DModel * c.AttentionWidth];
    public float[] Key { get; } = new float[c.DModel * c.AttentionWidth];
    public float[] Value { get; } = new float[c.DModel * c.AttentionWidth];
    public float[] Output { get; } = new float[c.AttentionWidth * c.DModel];
    public float[] MlpIn { get; } = new float[c.DModel * c.DMlp];
    public float[] MlpOut { get; } = new float[c.DMlp * c.DModel];

    public IEnumerable<float[]> All => [Query, Key, Value, Output, MlpIn, MlpOut];
}

/// <summary>
/// The weights the forward pass uses: quantized where the config says so, laid out for matrix products. The same type
/// holds gradients with respect to those weights, which <see cref="AccumulateInto"/> turns into latent gradients.
/// Buffers: Embed [dVocab, dModel]; PosEmbed [nCtx, dModel] or empty; NormWeight [dModel] or empty; Unembed [dModel, P].
/// </summary>
public sealed class EffectiveWeights
{
    public EffectiveWeights(TransformerConfig config)
    {
        Config = config;
        Embed = new float[config.DVocab * config.DModel];
        PosEmbed = config.PositionalEmbedding ? new float[config.NCtx * config.DModel] : [];
        Blocks = Enumerable.Range(0, config.NLayers).Select(_ => new BlockWeights(config)).ToArray();
        NormWeight = config.FinalNorm ? new float[config.DModel] : [];
        Unembed = new float[config.DModel * config.DVocabOut];
        _scratch = new float[Math.Max(config.DModel * config.AttentionWidth, config.DModel * config.DMlp)];
    }

    /// <summary>Room for one quantized or re-laid-out tensor, reused every step.</summary>
    private readonly float[] _scratch;

    public TransformerConfig Config { get; }
    public float[] Embed { get; }
    public float[] PosEmbed { get; }
    public BlockWeights[] Blocks { get; }
    public float[] NormWeight { get; }
    public float[] Unembed { get; }

    public void Clear()
    {
        Array.Clear(Embed);
        Array.Clear(PosEmbed);
        Array.Clear(NormWeight);
        Array.Clear(Unembed);
        foreach (var block in Blocks)
            foreach (var w in block.All) Array.Clear(w);
    }

    /// <summary>
    /// Quantizes the latent parameters (per tensor) and lays them out for the forward pass. With quant scope all, W_E
    /// [dVocab, dModel] (the '=' row included) and W_U [dModel, P] are quantized as whole tensors like the linears.
    /// </summary>
    public void LoadFrom(ParameterSet latent)
    {
        using var timing = Training.EpochProfile.Time(Training.EpochPart.Quantizer);
        var c = Config;
        var embeddings = c.QuantScope == QuantScope.All;
        if (embeddings) Quantized(latent[ParameterNames.Embed], Embed);
        else latent[ParameterNames.Embed].CopyTo(Embed);
        if (c.PositionalEmbedding) latent[ParameterNames.PosEmbed].CopyTo(PosEmbed);
        if (c.FinalNorm) latent[ParameterNames.FinalNormWeight].CopyTo(NormWeight);
        if (embeddings) Quantized(latent[ParameterNames.Unembed], Unembed);
        else latent[ParameterNames.Unembed].CopyTo(Unembed);
        var scratch = _scratch;
        for (var l = 0; l < c.NLayers; l++)
        {
            var block = Blocks[l];
            HeadsInward(Quantized(latent[ParameterNames.Query(l)], scratch), block.Query);
            HeadsInward(Quantized(latent[ParameterNames.Key(l)], scratch), block.Key);
            HeadsInward(Quantized(latent[ParameterNames.Value(l)], scratch), block.Value);
            Quantized(latent[ParameterNames.Output(l)], block.Output);
            Quantized(latent[ParameterNames.MlpIn(l)], block.MlpIn);
            Quantized(latent[ParameterNames.MlpOut(l)], block.MlpOut);
        }
    }

    /// <summary>Adds these gradients (with respect to the effective weights) into latent gradients, through the STE.</summary>
    public void AccumulateInto(ParameterSet latentGradient)
    {
        using var timing = Training.EpochProfile.Time(Training.EpochPart.Quantizer);
        var c = Config;
        var embeddings = c.QuantScope == QuantScope.All;
        if (embeddings) AddThroughEstimator(Embed, latentGradient[ParameterNames.Embed]);
        else Add(Embed, latentGradient[ParameterNames.Embed]);
        if (c.PositionalEmbedding) Add(PosEmbed, latentGradient[ParameterNames.PosEmbed]);
        if (c.FinalNorm) Add(NormWeight, latentGradient[ParameterNames.FinalNormWeight]);
        if (embeddings) AddThroughEstimator(Unembed, latentGradient[ParameterNames.Unembed]);
        else Add(Unembed, latentGradient[ParameterNames.Unembed]);
        var scratch = _scratch;
        for (var l = 0; l < c.NLayers; l++)
        {
            var block = Blocks[l];
            AddThroughEstimator(HeadsOutward(block.Query, scratch), latentGradient[ParameterNames.Query(l)]);
            AddThroughEstimator(HeadsOutward(block.Key, scratch), latentGradient[ParameterNames.Key(l)]);
            AddThroughEstimator(HeadsOutward(block.Value, scratch), latentGradient[ParameterNames.Value(l)]);
            AddThroughEstimator(block.Output.AsSpan(), latentGradient[ParameterNames.Output(l)]);
            AddThroughEstimator(block.MlpIn.AsSpan(), latentGradient[ParameterNames.MlpIn(l)]);
            AddThroughEstimator(block.MlpOut.AsSpan(), latentGradient[ParameterNames.MlpOut(l)]);
        }
    }

    private Span<float> Quantized(ReadOnlySpan<float> latent, Span<float> destination)
    {
        var output = destination[..latent.Length];
        WeightQuantizer.Quantize(latent, output, Config.Quantization, Config.BinaryScale);
        return output;
    }

    private void AddThroughEstimator(ReadOnlySpan<float> gradient, Span<float> latentGradient)
    {
        var offset = WeightQuantizer.StraightThroughOffset(gradient, Config.Quantization);
        for (var i = 0; i < gradient.Length; i++) latentGradient[i] += gradient[i] - offset;
    }

    private static void Add(ReadOnlySpan<float> source, Span<float> destination)
    {
        for (var i = 0; i < source.Length; i++) destination[i] += source[i];
    }

    /// <summary>[heads, dModel, dHead] → [dModel, heads·dHead].</summary>
    private void HeadsInward(ReadOnlySpan<float> perHead, Span<float> inward)
    {
        int h = Config.NHeads, d = Config.DModel, e = Config.DHead;
        for (var head = 0; head < h; head++)
            for (var row = 0; row < d; row++)
                perHead.Slice((head * d + row) * e, e).CopyTo(inward.Slice(row * h * e + head * e, e));
    }

    /// <summary>[dModel, heads·dHead] → [heads, dModel, dHead].</summary>
    private Span<float> HeadsOutward(ReadOnlySpan<float> inward, Span<float> scratch)
    {
        int h = Config.NHeads, d = Config.DModel, e = Config.DHead;
        var perHead = scratch[..(h * d * e)];
        for (var head = 0; head < h; head++)
            for (var row = 0; row < d; row++)
                inward.Slice(row * h * e + head * e, e).CopyTo(perHead.Slice((head * d + row) * e, e));
        return perHead;
    }
}
