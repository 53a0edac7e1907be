using BitOnnx.Analysis.Inputs;
using BitOnnx.Core.Model;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Proto;

namespace BitOnnx.Analysis.Onnx;

/// <summary>
/// Rewrites a token model into the same function of its token embeddings: the node that produced <c>hook_embed</c>
/// (the embedding Gather) is replaced by a graph input <c>embedded</c> [batch, n_ctx, d_model] feeding an Identity named
/// <c>hook_embed</c>, so everything downstream (positional embeddings included) is untouched; the only output kept is
/// <c>logits</c>; nodes, initializers and inputs that no longer reach it (the Gather, W_E, <c>tokens</c>) are removed.
/// </summary>
public static class EmbeddedInputSurgery
{
    /// <summary>The rewritten model (a copy) and the width of one embedded token.</summary>
    public static OnnxModel Apply(OnnxModel model, string name, out int dModel)
    {
        var proto = model.Proto.Clone();
        var g = proto.Graph;
        int index = IndexOfProducer(g, HookNames.Embed);
        if (index < 0)
            throw new ModelContractException($"Model '{name}' has no node producing '{HookNames.Embed}', so its logits cannot be taken as a function of the token embeddings. Export it with probes (bitonnx export ... --probes all) or pass an --embedded-input --double export.");
        var producer = g.Node[index];
        var (element, width) = EmbedType(g, producer, name);
        dModel = width;

        g.Node[index] = new NodeProto { Name = "embedded_as_hook_embed", OpType = "Identity", Input = { ModelContract.Embedded }, Output = { HookNames.Embed } };
        g.Input.Clear();
        g.Input.Add(TensorValue(ModelContract.Embedded, element, [Dim.Symbolic("batch"), ModularAdditionGraph.NCtx, width]));
        var logits = g.Output.FirstOrDefault(o => o.Name == HookNames.Logits)
            ?? throw new ModelContractException($"Model '{name}' has no output 'logits'.");
        g.Output.Clear();
        g.Output.Add(logits);
        Prune(g, name);
        // The export says it takes tokens; the rewritten model takes the embeddings.
        (ExportMetadata.Read(model, name) with { Input = ModelContract.Embedded }).WriteInto(proto);
        return new OnnxModel(proto);
    }

    /// <summary>Keeps only the nodes the outputs need; drops unused initializers and value_info; fails if the outputs need a tensor that is no longer an input (tokens).</summary>
    internal static void Prune(GraphProto g, string name)
    {
        var producers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < g.Node.Count; i++)
            foreach (var o in g.Node[i].Output) producers[o] = i;
        var keep = new bool[g.Node.Count];
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(g.Output.Select(o => o.Name));
        while (stack.Count > 0)
        {
            string tensor = stack.Pop();
            if (tensor.Length == 0 || !needed.Add(tensor) || !producers.TryGetValue(tensor, out int i) || keep[i]) continue;
            keep[i] = true;
            foreach (var input in g.Node[i].Input) stack.Push(input);
        }
        var nodes = g.Node.Where((_, i) => keep[i]).ToArray();
        g.Node.Clear();
        g.Node.Add(nodes);

        var available = g.Initializer.Select(t => t.Name).Concat(g.Input.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        var orphans = needed.Where(t => !producers.ContainsKey(t) && !available.Contains(t)).Order(StringComparer.Ordinal).ToArray();
        if (orphans.Length > 0)
        {
            throw new ModelContractException(
                $"Model '{name}': its logits depend on {string.Join(", ", orphans)} other than through '{HookNames.Embed}', " +
                "so they are not a function of the token embeddings alone. Export an embedded-input model instead (bitonnx export --embedded-input --double).");
        }
        var usedInitializers = g.Initializer.Where(t => needed.Contains(t.Name)).ToArray();
        g.Initializer.Clear();
        g.Initializer.Add(usedInitializers);
        var info = g.ValueInfo.Where(v => needed.Contains(v.Name)).ToArray();
        g.ValueInfo.Clear();
        g.ValueInfo.Add(info);
    }

    internal static ValueInfoProto TensorValue(string name, TensorElementType element, IReadOnlyList<Dim> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d.Size is long size
                ? new TensorShapeProto.Types.Dimension { DimValue = size }
                : new TensorShapeProto.Types.Dimension { DimParam = d.Name });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)element, Shape = shape } } };
    }

    private static int IndexOfProducer(GraphProto g, string tensor)
    {
        for (int i = 0; i < g.Node.Count; i++)
            if (g.Node[i].Output.Contains(tensor)) return i;
        return -1;
    }

    /// <summary>Element type and d_model of hook_embed: from its declared output or value_info, else from the gathered table.</summary>
    private static (TensorElementType Element, int DModel) EmbedType(GraphProto g, NodeProto producer, string name)
    {
        var declared = g.Output.Concat(g.ValueInfo).FirstOrDefault(v => v.Name == HookNames.Embed)?.Type?.TensorType;
        if (declared?.Shape is { Dim.Count: 3 } s && s.Dim[2].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
            return ((TensorElementType)declared.ElemType, checked((int)s.Dim[2].DimValue));
        if (producer.OpType == "Gather" && g.Initializer.FirstOrDefault(t => t.Name == producer.Input[0]) is { Dims.Count: 2 } table)
            return (OnnxTensor.ElementTypeOf(table), checked((int)table.Dims[1]));
        throw new ModelContractException($"Model '{name}': cannot tell the width of '{HookNames.Embed}' (declare it as an output, or gather it from a [d_vocab, d_model] initializer).");
    }
}
