using System.Globalization;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Proto;

namespace BitOnnx.Onnx.Surgery;

/// <summary>
/// Replaces a model's MLP by a transcoder: the node that made the transcoder's output hook (<c>blocks.0.hook_mlp_out</c>,
/// or its clean value behind a writable hook's Where) is removed, and new nodes compute it from the input hook
/// (<c>blocks.0.hook_resid_mid</c>) at every position: <c>MatMul(W_enc) → Add(b_enc) → Relu → [TopK → ScatterElements
/// into zeros] → MatMul(W_dec) → Add(b_dec)</c>. ONNX's TopK lists equal values lower index first, so the latents kept are
/// the ones <see cref="Transcoder.Encode"/> keeps. The old MLP's nodes stay only where a probe still reads them
/// (<c>mlp.hook_pre</c>, <c>mlp.hook_post</c>: the replaced neurons, which feed nothing now). Everything else, writable
/// hooks and metadata included, is the model's, with the transcoder's identity added under <c>bitonnx.transcoder.*</c>.
/// </summary>
public static class TranscoderSurgery
{
    public const string MetadataPrefix = "bitonnx.transcoder.";
    internal const string Prefix = "transcoder.";

    public static OnnxModel Splice(OnnxModel model, string name, Transcoder transcoder)
    {
        var c = transcoder.Config;
        var proto = model.Proto.Clone();
        var g = proto.Graph;
        if (proto.MetadataProps.Any(m => m.Key.StartsWith(MetadataPrefix, StringComparison.Ordinal)))
            throw new ModelContractException($"Model '{name}' already has a transcoder spliced in; splice into the model the transcoder was trained on.");
        var target = GraphSurgery.ProducerOf(g, c.HookOut + ".clean") >= 0 ? c.HookOut + ".clean" : c.HookOut;
        var producer = GraphSurgery.ProducerOf(g, target);
        if (producer < 0 || GraphSurgery.ProducerOf(g, c.HookIn) < 0)
            throw new ModelContractException($"Model '{name}' computes no '{c.HookIn}' or '{c.HookOut}' to splice a transcoder between; export it with bitonnx export --probes all.");
        var (element, dims) = GraphSurgery.HookType(g, c.HookOut, name);
        if (element != TensorElementType.Float || dims.Length != 2 || dims[1].Size != c.DOut)
            throw new ModelContractException($"Model '{name}': '{c.HookOut}' is {element} [{string.Join(", ", dims.Select(d => d.ToString()))}], not float rows of {c.DOut}; splice into a float export of the model the transcoder was trained on.");

        var p = transcoder.Parameters;
        void Initializer(string parameter, params long[] shape) =>
            g.Initializer.Add(OnnxTensor.FromArray<float>(Prefix + parameter, p[parameter], shape));
        Initializer(Transcoder.EncoderWeight, c.DIn, c.Width);
        Initializer(Transcoder.EncoderBias, c.Width);
        Initializer(Transcoder.DecoderWeight, c.Width, c.DOut);
        Initializer(Transcoder.DecoderBias, c.DOut);
        var nodes = new List<NodeProto>
        {
            Node("MatMul", [c.HookIn, Prefix + Transcoder.EncoderWeight], "pre_bias"),
            Node("Add", [Prefix + "pre_bias", Prefix + Transcoder.EncoderBias], "hook_pre"),
            Node("Relu", [Prefix + "hook_pre"], c.Kind == TranscoderKind.TopK ? "relu" : "hook_acts"),
        };
        if (c.Kind == TranscoderKind.TopK)
        {
            g.Initializer.Add(OnnxTensor.FromArray<long>(Prefix + "k", [c.K], [1]));
            var topK = Node("TopK", [Prefix + "relu", Prefix + "k"], "top_values", "top_indices");
            topK.Attribute.Add(new NodeAttributes { { "axis", -1L }, { "largest", 1L }, { "sorted", 1L } });
            var zeros = Node("ConstantOfShape", [Prefix + "shape"], "zeros");
            zeros.Attribute.Add(new NodeAttributes { { "value", OnnxTensor.FromArray<float>("value", [0f], [1]) } });
            var scatter = Node("ScatterElements", [Prefix + "zeros", Prefix + "top_indices", Prefix + "top_values"], "hook_acts");
            scatter.Attribute.Add(new NodeAttributes { { "axis", -1L } });
            nodes.AddRange([topK, Node("Shape", [Prefix + "relu"], "shape"), zeros, scatter]);
        }
        nodes.Add(Node("MatMul", [Prefix + "hook_acts", Prefix + Transcoder.DecoderWeight], "out_bias"));
        nodes.Add(new NodeProto { Name = Prefix + "out", OpType = "Add", Input = { Prefix + "out_bias", Prefix + Transcoder.DecoderBias }, Output = { target } });
        g.Node.RemoveAt(producer);
        // After the input hook's producer (and its write, if writable), so the nodes stay in topological order.
        var after = Math.Max(GraphSurgery.ProducerOf(g, c.HookIn), 0) + 1;
        for (int i = 0; i < nodes.Count; i++) g.Node.Insert(after + i, nodes[i]);
        GraphSurgery.Prune(g, name);
        foreach (var (key, value) in Entries(transcoder)) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return new OnnxModel(proto);
    }

    internal static NodeProto Node(string op, string[] inputs, params string[] outputs)
    {
        var node = new NodeProto { Name = Prefix + outputs[0], OpType = op };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs.Select(o => Prefix + o));
        return node;
    }

    internal static IEnumerable<(string, string)> Entries(Transcoder t) =>
    [
        (MetadataPrefix + "architecture", TranscoderFile.KindName(t.Config.Kind)),
        (MetadataPrefix + "d_sae", t.Config.Width.ToString(CultureInfo.InvariantCulture)),
        (MetadataPrefix + "k", t.Config.K.ToString(CultureInfo.InvariantCulture)),
        (MetadataPrefix + "l1_coefficient", t.Config.L1Coefficient.ToString("R", CultureInfo.InvariantCulture)),
        (MetadataPrefix + "seed", t.Config.Seed.ToString(CultureInfo.InvariantCulture)),
        (MetadataPrefix + "hook_name", t.Config.HookIn),
        (MetadataPrefix + "hook_name_out", t.Config.HookOut),
    ];
}
