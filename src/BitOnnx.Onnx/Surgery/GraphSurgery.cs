using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Proto;

namespace BitOnnx.Onnx.Surgery;

/// <summary>
/// Rewrites of an exported graph, each returning a new model: cut it at a hook (the hook becomes an input and what only
/// fed it goes) and prune it to the outputs asked for. The one home of graph surgery; writable hooks are
/// <see cref="WritableHooks"/>.
/// </summary>
public static class GraphSurgery
{
    /// <summary>
    /// The same function of <paramref name="hook"/>'s value: the node that produced it is replaced by a graph input
    /// (named <paramref name="inputName"/>, feeding an Identity named as the hook when the two differ) of the hook's
    /// declared type and shape with a symbolic batch; only <paramref name="outputs"/> are kept; nodes, initializers and
    /// inputs that no longer reach them go. Fails when an output still needs a former input by another path (the cut is
    /// not a cut).
    /// </summary>
    public static OnnxModel CutAt(OnnxModel model, string name, string hook, IReadOnlyCollection<string> outputs, string? inputName = null)
    {
        var proto = model.Proto.Clone();
        var g = proto.Graph;
        var index = ProducerOf(g, hook);
        if (index < 0)
            throw new ModelContractException($"Model '{name}' has no node producing '{hook}', so it cannot be cut there; export it with that hook as a probe (bitonnx export ... --probes all).");
        var (element, dims) = HookType(g, hook, name);
        inputName ??= hook;
        if (inputName == hook) g.Node.RemoveAt(index);
        else g.Node[index] = new NodeProto { Name = $"{inputName}_as_{hook}", OpType = "Identity", Input = { inputName }, Output = { hook } };
        g.Input.Clear();
        g.Input.Add(TensorValue(inputName, element, [Dim.Symbolic("batch"), .. dims]));
        var kept = g.Output.Where(o => outputs.Contains(o.Name)).ToArray();
        var missing = outputs.Where(o => kept.All(k => k.Name != o)).ToArray();
        if (missing.Length > 0) throw new ModelContractException($"Model '{name}' has no output {string.Join(", ", missing.Select(m => $"'{m}'"))} to keep after the cut.");
        g.Output.Clear();
        g.Output.Add(kept);
        Prune(g, name);
        return new OnnxModel(proto);
    }

    /// <summary>Keeps only the nodes the outputs need; drops unused initializers and value_info; fails if the outputs need a value nothing provides any more.</summary>
    public static void Prune(GraphProto g, string name)
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
                $"Model '{name}': its outputs depend on {string.Join(", ", orphans)} other than through the cut, " +
                "so they are not a function of the cut's input alone.");
        }
        var usedInitializers = g.Initializer.Where(t => needed.Contains(t.Name)).ToArray();
        g.Initializer.Clear();
        g.Initializer.Add(usedInitializers);
        var usedInputs = g.Input.Where(i => needed.Contains(i.Name)).ToArray();
        g.Input.Clear();
        g.Input.Add(usedInputs);
        var info = g.ValueInfo.Where(v => needed.Contains(v.Name)).ToArray();
        g.ValueInfo.Clear();
        g.ValueInfo.Add(info);
    }

    /// <summary>The index of the node whose outputs include <paramref name="tensor"/>; −1 when none.</summary>
    public static int ProducerOf(GraphProto g, string tensor)
    {
        for (int i = 0; i < g.Node.Count; i++)
            if (g.Node[i].Output.Contains(tensor)) return i;
        return -1;
    }

    /// <summary>A tensor value of <paramref name="element"/> with <paramref name="dims"/>.</summary>
    public static ValueInfoProto TensorValue(string name, TensorElementType element, IReadOnlyList<Dim> dims)
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

    /// <summary>
    /// The element type and per-row dims of a hook: from its declaration as an output or value_info, else (the embedding
    /// of a graph without probes) from the table its Gather reads.
    /// </summary>
    public static (TensorElementType Element, Dim[] Dims) HookType(GraphProto g, string hook, string name)
    {
        var declared = g.Output.Concat(g.ValueInfo).FirstOrDefault(v => v.Name == hook)?.Type?.TensorType;
        if (declared?.Shape is { Dim.Count: > 1 } s && s.Dim.Skip(1).All(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue))
            return ((TensorElementType)declared.ElemType, s.Dim.Skip(1).Select(d => (Dim)d.DimValue).ToArray());
        var producer = ProducerOf(g, hook);
        if (producer >= 0 && g.Node[producer].OpType == "Gather" && g.Initializer.FirstOrDefault(t => t.Name == g.Node[producer].Input[0]) is { Dims.Count: 2 } table
            && g.Input.FirstOrDefault(i => i.Name == g.Node[producer].Input[1])?.Type?.TensorType?.Shape is { Dim.Count: 2 } tokens
            && tokens.Dim[1].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
            return (OnnxTensor.ElementTypeOf(table), [tokens.Dim[1].DimValue, table.Dims[1]]);
        throw new ModelContractException($"Model '{name}': cannot tell the shape of '{hook}' (declare it as an output: export it with that hook as a probe).");
    }
}
