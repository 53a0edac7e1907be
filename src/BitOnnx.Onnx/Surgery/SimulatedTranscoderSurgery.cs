using BitOnnx.Core.Explanations;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Proto;

namespace BitOnnx.Onnx.Surgery;

/// <summary>
/// Replaces a model's MLP by a transcoder whose encoder is a simulator of its latents' explanations (Paulo and Belrose
/// 2025, arXiv 2501.18838): the latents are computed from the tokens by their formulas
/// (<see cref="FourierFormulaGraph.Emit"/>), then decoded, <c>MatMul(W_dec) → Add(b_dec)</c>, into the MLP's output
/// hook. The formulas are functions of the pair (a, b), so each position of a row gets the same value; only the last
/// position reaches the logits of a one-layer model, and that is where the simulation stands for the MLP. No TopK is
/// applied to the simulated latents: a formula already says where its latent is zero. The rest of the graph, writable
/// hooks and metadata, is the model's, with the transcoder's identity and <c>bitonnx.transcoder.encoder = explanations</c>.
/// </summary>
public static class SimulatedTranscoderSurgery
{
    private const string Prefix = TranscoderSurgery.Prefix;

    public static OnnxModel Splice(OnnxModel model, string name, Transcoder transcoder, IReadOnlyList<FourierFormula> latents)
    {
        var c = transcoder.Config;
        if (latents.Count != c.Width)
            throw new ModelContractException($"The transcoder has {c.Width} latents but {latents.Count} formulas were given; give one explanation per latent.");
        var proto = model.Proto.Clone();
        var g = proto.Graph;
        if (proto.MetadataProps.Any(m => m.Key.StartsWith(TranscoderSurgery.MetadataPrefix, StringComparison.Ordinal)))
            throw new ModelContractException($"Model '{name}' already has a transcoder spliced in; splice into the model the transcoder was trained on.");
        var target = GraphSurgery.ProducerOf(g, c.HookOut + ".clean") >= 0 ? c.HookOut + ".clean" : c.HookOut;
        var producer = GraphSurgery.ProducerOf(g, target);
        if (producer < 0 || g.Input.All(i => i.Name != ModelContract.Tokens))
            throw new ModelContractException($"Model '{name}' computes no '{c.HookOut}' from '{ModelContract.Tokens}' to splice a simulated transcoder into; export it with bitonnx export --probes all.");
        var (element, dims) = GraphSurgery.HookType(g, c.HookOut, name);
        if (element != TensorElementType.Float || dims.Length != 2 || dims[1].Size != c.DOut) // [n_ctx, d_out] per row
            throw new ModelContractException($"Model '{name}': '{c.HookOut}' is {element} [{string.Join(", ", dims.Select(d => d.ToString()))}], not float rows of {c.DOut}; splice into a float export of the model the transcoder was trained on.");

        // The simulator's nodes, built on their own and moved into the model's graph: they read only the tokens.
        var builder = new OnnxGraphBuilder("simulator");
        var tokens = builder.Input(ModelContract.Tokens, TensorElementType.Int64, ["batch", "n_ctx"]);
        var acts = FourierFormulaGraph.Emit(builder, tokens, latents, Prefix + "hook_acts", Prefix + "simulator.");
        builder.Output(acts, TensorElementType.Float, ["batch", c.Width]);
        var simulator = builder.Build().Graph;

        var p = transcoder.Parameters;
        g.Initializer.AddRange(simulator.Initializer);
        g.Initializer.Add(OnnxTensor.FromArray<float>(Prefix + Transcoder.DecoderWeight, p[Transcoder.DecoderWeight], [c.Width, c.DOut]));
        g.Initializer.Add(OnnxTensor.FromArray<float>(Prefix + Transcoder.DecoderBias, p[Transcoder.DecoderBias], [c.DOut]));
        g.Initializer.Add(OnnxTensor.FromArray<long>(Prefix + "row_axis", [1], [1]));
        g.Initializer.Add(OnnxTensor.FromArray<long>(Prefix + "d_out", [c.DOut], [1]));
        var nodes = new List<NodeProto>(simulator.Node)
        {
            TranscoderSurgery.Node("MatMul", [Prefix + "hook_acts", Prefix + Transcoder.DecoderWeight], "out_bias"),
            TranscoderSurgery.Node("Add", [Prefix + "out_bias", Prefix + Transcoder.DecoderBias], "out_pair"),
            // [batch, d_out] → [batch, n_ctx, d_out], the hook's shape: the pair's value at each of its positions.
            TranscoderSurgery.Node("Unsqueeze", [Prefix + "out_pair", Prefix + "row_axis"], "out_row"),
            TranscoderSurgery.Node("Shape", [ModelContract.Tokens], "tokens_shape"),
            TranscoderSurgery.Node("Concat", [Prefix + "tokens_shape", Prefix + "d_out"], "out_shape"),
            new NodeProto { Name = Prefix + "out", OpType = "Expand", Input = { Prefix + "out_row", Prefix + "out_shape" }, Output = { target } },
        };
        nodes[^2].Attribute.Add(new NodeAttributes { { "axis", 0L } });
        g.Node.RemoveAt(producer);
        for (int i = 0; i < nodes.Count; i++) g.Node.Insert(producer + i, nodes[i]);
        GraphSurgery.Prune(g, name);
        foreach (var (key, value) in TranscoderSurgery.Entries(transcoder)) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = TranscoderSurgery.MetadataPrefix + "encoder", Value = "explanations" });
        return new OnnxModel(proto);
    }
}
