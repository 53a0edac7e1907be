using BitOnnx.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Model;

/// <summary>
/// The BitOnnx transformer (both presets, n layers, three weight modes) as TorchSharp modules. Its state_dict keys are
/// the engine's TransformerLens parameter names (embed.W_E, blocks.0.attn.W_Q, ...) and its hook points the engine's
/// hook names with the engine's shapes, so a parameter set moves between the backends name by name.
/// </summary>
public sealed class TorchTransformer : nn.Module
{
    public TorchTransformer(TransformerConfig config) : base("HookedTransformer")
    {
        TorchRuntime.EnsureAvailable();
        Config = config.Validated();
        embed = new Embed(config);
        register_module("embed", embed);
        if (config.PositionalEmbedding)
        {
            pos_embed = new PosEmbed(config);
            register_module("pos_embed", pos_embed);
        }
        blocks = new BlockList(config);
        register_module("blocks", blocks);
        if (config.FinalNorm)
        {
            ln_final = new FinalNorm(config);
            register_module("ln_final", ln_final);
        }
        unembed = new Unembed(config);
        register_module("unembed", unembed);
    }

    public TransformerConfig Config { get; }
    // Fields named as registered: TorchSharp also registers Module-typed fields under their field names.
    private readonly Embed embed;
    private readonly PosEmbed? pos_embed;
    private readonly BlockList blocks;
    private readonly FinalNorm? ln_final;
    private readonly Unembed unembed;

    /// <summary>The parameters under their TransformerLens names, in the order of a ParameterSet's entries.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters()
    {
        var byName = named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return ParameterSet.Zeros(Config).Entries.Select(e => (e.Name, byName[e.Name])).ToList();
    }

    /// <summary>Copies every tensor of <paramref name="source"/> in (its layout must be this config's).</summary>
    public void LoadFrom(ParameterSet source)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in Parameters())
        {
            var info = source.Info(name);
            using var values = torch.tensor(source.Slice(info).ToArray(), info.Shape.ToLongArray());
            parameter.copy_(values);
        }
    }

    /// <summary>The current parameters as the engine's ParameterSet.</summary>
    public ParameterSet ToParameterSet()
    {
        var set = ParameterSet.Zeros(Config);
        foreach (var (name, parameter) in Parameters())
            Read(parameter, set.Slice(set.Info(name)));
        return set;
    }

    internal static void Read(Tensor tensor, Span<float> destination)
    {
        using var scope = torch.NewDisposeScope();
        tensor.detach().contiguous().data<float>().ToArray().CopyTo(destination);
    }

    /// <summary>
    /// Logits [B, P] at the last position. With <paramref name="lastPositionOnly"/> the last block computes queries,
    /// attention output and MLP at the last position only (all a loss needs); hooks want every position.
    /// </summary>
    public Tensor Forward(TokenBatch batch, bool lastPositionOnly, HookRecorder? hooks = null)
    {
        // The scope refers to every intermediate tensor until the pass ends (ScalarArithmetic says why that matters).
        using var scope = torch.NewDisposeScope();
        return scope.MoveToOuter(Forward(batch, lastPositionOnly, hooks is null ? null : HookPoints.Recording(hooks)));
    }

    /// <summary>The pass itself, every activation through <paramref name="hooks"/> when given; the caller owns the scope.</summary>
    internal Tensor Forward(TokenBatch batch, bool lastPositionOnly, HookPoints? hooks)
    {
        var c = Config;
        var input = hooks is null ? BlockInput.FromTable(InputTable(), batch) : Embedded(batch, hooks);
        Tensor resid = null!;
        for (var l = 0; l < c.NLayers; l++)
        {
            var offset = lastPositionOnly && l == c.NLayers - 1 ? batch.Positions - 1 : 0;
            resid = blocks.Blocks[l].Forward(input, offset, hooks, l);
            input = BlockInput.FromResidual(resid, batch);
        }
        if (ln_final is not null)
        {
            resid = ln_final.Forward(resid);
            if (hooks is not null) resid = hooks.At(HookNames.FinalNormalized, resid);
        }
        var logits = resid.select(1, -1).mm(Unembedding());
        return hooks is null ? logits : hooks.At(HookNames.Logits, logits);
    }

    /// <summary>
    /// Block 0's input through hook_embed and hook_pos_embed. Block 0 reads its table (the same sums, W_pos + W_E, whose
    /// projections it shares between rows) unless a write changes an embedding or the hooks' gradients are wanted, when
    /// it reads the hooked embeddings' sum [B, T, dModel] instead, so that the write and the gradients pass through it.
    /// </summary>
    private BlockInput Embedded(TokenBatch batch, HookPoints hooks)
    {
        var c = Config;
        long b = batch.Batch, t = batch.Positions;
        var embed = Embedding().index_select(0, batch.Tokens.view(-1)).view(b, t, c.DModel);
        var hookedEmbed = hooks.At(HookNames.Embed, embed);
        var pos = pos_embed?.W_pos.unsqueeze(0).expand(b, t, c.DModel);
        var hookedPos = pos is null ? null : hooks.At(HookNames.PosEmbed, pos);
        if (!hooks.KeepsGradients && ReferenceEquals(hookedEmbed, embed) && ReferenceEquals(hookedPos, pos))
            return BlockInput.FromTable(InputTable(), batch);
        // embed + pos equals the table's pos + embed to the bit (IEEE addition commutes).
        return BlockInput.FromResidual(hookedPos is null ? hookedEmbed : hookedEmbed.Plus(hookedPos), batch);
    }

    /// <summary>Block 0's possible inputs: W_E [dVocab, dModel], or with W_pos one copy per position [T·dVocab, dModel].</summary>
    private Tensor InputTable()
    {
        var embedding = Embedding();
        return pos_embed is null ? embedding : pos_embed.W_pos.unsqueeze(1).Plus(embedding.unsqueeze(0)).reshape(-1, Config.DModel);
    }

    /// <summary>W_E as the forward pass uses it: quantized as a whole tensor, through the STE, when the quant scope is all.</summary>
    private Tensor Embedding() => Config.QuantScope == QuantScope.All ? Quantized(embed.W_E) : embed.W_E;

    /// <summary>W_U as the forward pass uses it, quantized like W_E when the quant scope is all.</summary>
    private Tensor Unembedding() => Config.QuantScope == QuantScope.All ? Quantized(unembed.W_U) : unembed.W_U;

    private Tensor Quantized(Tensor latent) => StraightThroughQuantizer.Effective(latent, Config.Quantization, Config.BinaryScale);
}
