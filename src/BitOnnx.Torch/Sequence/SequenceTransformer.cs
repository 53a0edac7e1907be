using BitOnnx.Core.Model;
using BitOnnx.Torch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Sequence;

/// <summary>
/// A <see cref="SequenceModelConfig"/> model (Quirke et al. 2024's HookedTransformer) as TorchSharp modules: tokens
/// [B, T] (T ≤ n_ctx) → logits [B, T, d_vocab_out] at every position. Its state_dict keys are TransformerLens'
/// parameter names and its hook points TransformerLens' hook names (hook_embed, hook_pos_embed, blocks.l.hook_resid_pre,
/// attn.hook_q/k/v/attn_scores/pattern/z, hook_attn_out, hook_resid_mid, mlp.hook_pre/post, hook_mlp_out,
/// hook_resid_post, ln_final.hook_normalized, logits) with their shapes.
/// </summary>
public sealed class SequenceTransformer : nn.Module
{
    public SequenceTransformer(SequenceModelConfig config, ScalarType dtype = ScalarType.Float32) : base("HookedTransformer")
    {
        TorchRuntime.EnsureAvailable();
        Config = config.Validated();
        DType = dtype;
        embed = new SequenceEmbeddings("Embed", "W_E", config.DVocab, config.DModel, dtype);
        pos_embed = new SequenceEmbeddings("PosEmbed", "W_pos", config.NCtx, config.DModel, dtype);
        blocks = new SequenceBlockList(config, dtype);
        ln_final = new SequenceLayerNorm(config.DModel, dtype);
        unembed = new SequenceUnembed(config, dtype);
        register_module("embed", embed);
        register_module("pos_embed", pos_embed);
        register_module("blocks", blocks);
        register_module("ln_final", ln_final);
        register_module("unembed", unembed);
    }

    public SequenceModelConfig Config { get; }
    public ScalarType DType { get; }
    // Fields named as registered: TorchSharp also registers Module-typed fields under their field names.
    private readonly SequenceEmbeddings embed;
    private readonly SequenceEmbeddings pos_embed;
    private readonly SequenceBlockList blocks;
    private readonly SequenceLayerNorm ln_final;
    private readonly SequenceUnembed unembed;

    /// <summary>The parameters under their TransformerLens names, in the config's order.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters()
    {
        var byName = named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return Config.Parameters().Select(p => (p.Name, byName[p.Name])).ToList();
    }

    /// <summary>Copies every tensor in by name (each must have its parameter's shape).</summary>
    public void LoadFrom(IEnumerable<NamedTensor> tensors)
    {
        var byName = tensors.ToDictionary(t => t.Name);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in Parameters())
        {
            var t = byName.TryGetValue(name, out var found) ? found : throw new ArgumentException($"No tensor named '{name}'.", nameof(tensors));
            parameter.copy_(torch.tensor(t.Data, t.Shape.ToLongArray()));
        }
    }

    /// <summary>The model a <see cref="Core.Checkpoints.SequenceCheckpoint"/> holds (its moments, if any, are for resuming and left out).</summary>
    public static SequenceTransformer Load(string path)
    {
        var saved = Core.Checkpoints.SequenceCheckpoint.Load(path);
        var model = new SequenceTransformer(saved.Config);
        model.LoadFrom(saved.Parameters);
        return model;
    }

    /// <summary>The current parameters as float32 tensors, in the config's order.</summary>
    public IReadOnlyList<NamedTensor> ToNamedTensors() =>
        Config.Parameters().Zip(Parameters(), (info, p) => new NamedTensor(info.Name, info.Shape, ReadFloats(p.Parameter))).ToList();

    internal static float[] ReadFloats(Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        return tensor.detach().to(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    /// <summary>Logits [B, T, d_vocab_out] of tokens [B, T] (int64, T ≤ n_ctx), every activation recorded when asked.</summary>
    public Tensor Forward(Tensor tokens, HookRecorder? hooks = null)
    {
        // The scope refers to every intermediate tensor until the pass ends (ScalarArithmetic says why that matters).
        using var scope = torch.NewDisposeScope();
        return scope.MoveToOuter(Forward(tokens, hooks is null ? null : HookPoints.Recording(hooks)));
    }

    /// <summary>The pass itself, every activation through <paramref name="hooks"/> when given; the caller owns the scope.</summary>
    internal Tensor Forward(Tensor tokens, HookPoints? hooks)
    {
        var c = Config;
        long batch = tokens.shape[0], t = tokens.shape[1];
        if (t > c.NCtx) throw new ArgumentException($"The model reads at most {c.NCtx} positions, not {t}.", nameof(tokens));
        var embedded = embed.W.index_select(0, tokens.reshape(-1)).view(batch, t, c.DModel);
        if (hooks is not null) embedded = hooks.At(HookNames.Embed, embedded);
        var positions = pos_embed.W.narrow(0, 0, t).unsqueeze(0).expand(batch, t, c.DModel);
        if (hooks is not null) positions = hooks.At(HookNames.PosEmbed, positions);
        var resid = embedded.Plus(positions);
        for (int l = 0; l < c.NLayers; l++) resid = blocks.Blocks[l].Forward(resid, hooks, l);
        var normalized = ln_final.Forward(resid);
        if (hooks is not null) normalized = hooks.At(HookNames.FinalNormalized, normalized);
        var logits = normalized.reshape(-1, c.DModel).mm(unembed.W_U).Plus(unembed.b_U).view(batch, t, c.DVocabOut);
        return hooks is null ? logits : hooks.At(HookNames.Logits, logits);
    }

    /// <summary>
    /// Logits [rows, length, d_vocab_out] as float32 for tokens [rows, length] (row-major), without gradients: the
    /// <see cref="Core.Tasks.SequenceLogits"/> that greedy decoding and evaluation call.
    /// </summary>
    public float[] Logits(int[] tokens, int rows, int length)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = torch.tensor(tokens, [rows, length]).to(ScalarType.Int64);
        return Forward(input, (HookPoints?)null).to(ScalarType.Float32).contiguous().data<float>().ToArray();
    }
}

/// <summary>embed.W_E [d_vocab, d_model] or pos_embed.W_pos [n_ctx, d_model].</summary>
public sealed class SequenceEmbeddings : SequenceParameters
{
    public SequenceEmbeddings(string name, string parameterName, int rows, int dModel, ScalarType dtype) : base(name, dtype) =>
        W = Add(parameterName, rows, dModel);

    public Parameter W { get; }
}

/// <summary>unembed.W_U [d_model, d_vocab_out] and b_U [d_vocab_out].</summary>
public sealed class SequenceUnembed : SequenceParameters
{
    public SequenceUnembed(SequenceModelConfig c, ScalarType dtype) : base("Unembed", dtype)
    {
        W_U = Add("W_U", c.DModel, c.DVocabOut);
        b_U = Add("b_U", c.DVocabOut);
    }

    public Parameter W_U { get; }
    public Parameter b_U { get; }
}

/// <summary>blocks: registered as "0", "1", ... so that keys read blocks.0.attn.W_Q.</summary>
public sealed class SequenceBlockList : nn.Module
{
    public SequenceBlockList(SequenceModelConfig c, ScalarType dtype) : base("Blocks")
    {
        Blocks = Enumerable.Range(0, c.NLayers).Select(_ => new SequenceBlock(c, dtype)).ToArray();
        for (int l = 0; l < Blocks.Count; l++) register_module(l.ToString(System.Globalization.CultureInfo.InvariantCulture), Blocks[l]);
    }

    public IReadOnlyList<SequenceBlock> Blocks { get; }
}
