using BitOnnx.Core.Model;
using BitOnnx.Engine.Layers;

namespace BitOnnx.Engine.Model;

/// <summary>
/// The engine's forward pass over every position, with each activation kept under its TransformerLens hook name
/// (see <see cref="HookNames"/>): what an exported ONNX graph's probes must reproduce.
/// </summary>
public sealed class ActivationCache
{
    private readonly Dictionary<string, NamedTensor> _tensors;

    private ActivationCache(Dictionary<string, NamedTensor> tensors) => _tensors = tensors;

    public IReadOnlyDictionary<string, NamedTensor> Tensors => _tensors;
    public NamedTensor this[string hook] => _tensors.TryGetValue(hook, out var t)
        ? t
        : throw new KeyNotFoundException($"No activation '{hook}'. Hooks: {string.Join(", ", _tensors.Keys)}.");

    /// <summary>Runs <paramref name="tokens"/> [batch, nCtx] through the model; targets only feed the loss, so zeros will do.</summary>
    public static ActivationCache Run(TransformerConfig c, ParameterSet parameters, int[] tokens, int threads = 1)
    {
        var batch = tokens.Length / c.NCtx;
        var ws = new Workspace(c, tokens, new int[batch], lastPositionOnly: false, withGradients: false);
        var weights = new EffectiveWeights(c);
        weights.LoadFrom(parameters);
        TransformerForward.Run(weights, ws, threads);

        var hooks = HookNames.For(c, batch).ToDictionary(h => h.Name, h => h.Shape);
        var tensors = new Dictionary<string, NamedTensor>();
        void Add(string name, float[] data) => tensors[name] = new NamedTensor(name, hooks[name], data);

        int t = c.NCtx, d = c.DModel;
        var embed = new float[batch * t * d];
        var pos = new float[batch * t * d];
        for (var row = 0; row < batch * t; row++)
        {
            weights.Embed.AsSpan(tokens[row] * d, d).CopyTo(embed.AsSpan(row * d, d));
            if (c.PositionalEmbedding) weights.PosEmbed.AsSpan(row % t * d, d).CopyTo(pos.AsSpan(row * d, d));
        }
        Add(HookNames.Embed, embed);
        if (c.PositionalEmbedding) Add(HookNames.PosEmbed, pos);
        for (var l = 0; l < c.NLayers; l++)
        {
            var a = ws.Blocks[l];
            Add(HookNames.ResidPre(l), l == 0 ? Sum(embed, pos) : (float[])ws.Blocks[l - 1].ResidPost.Clone());
            Add(HookNames.Q(l), (float[])a.Q.Clone());
            Add(HookNames.K(l), l == 0 ? TableRows(ws.KeyTable, ws.TokenTableRows, c.AttentionWidth) : (float[])a.K.Clone());
            Add(HookNames.V(l), l == 0 ? TableRows(ws.ValueTable, ws.TokenTableRows, c.AttentionWidth) : (float[])a.V.Clone());
            Add(HookNames.AttnScores(l), (float[])a.Scores.Clone());
            Add(HookNames.Pattern(l), (float[])a.Pattern.Clone());
            Add(HookNames.Z(l), (float[])a.Z.Clone());
            Add(HookNames.AttnOut(l), (float[])a.AttnOut.Clone());
            Add(HookNames.ResidMid(l), (float[])a.ResidMid.Clone());
            Add(HookNames.MlpPre(l), (float[])a.Pre.Clone());
            Add(HookNames.MlpPost(l), (float[])a.Post.Clone());
            Add(HookNames.MlpOut(l), (float[])a.MlpOut.Clone());
            Add(HookNames.ResidPost(l), (float[])a.ResidPost.Clone());
        }
        if (c.FinalNorm)
        {
            var normalized = new float[batch * t * d];
            FinalNorm.Forward(batch * t, d, ws.Blocks[^1].ResidPost, weights.NormWeight, normalized, new float[batch * t]);
            Add(HookNames.FinalNormalized, normalized);
        }
        Add(HookNames.Logits, (float[])ws.Logits.Clone());
        return new ActivationCache(tensors);
    }

    /// <summary>Block 0's keys or values, [B, T, W]: the forward pass reads them from the table in place.</summary>
    private static float[] TableRows(float[] table, int[] rows, int width)
    {
        var gathered = new float[rows.Length * width];
        for (var i = 0; i < rows.Length; i++) table.AsSpan(rows[i] * width, width).CopyTo(gathered.AsSpan(i * width, width));
        return gathered;
    }

    private static float[] Sum(float[] a, float[] b)
    {
        var sum = new float[a.Length];
        System.Numerics.Tensors.TensorPrimitives.Add(a, b, sum);
        return sum;
    }
}
