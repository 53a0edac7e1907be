using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Proto;

namespace BitOnnx.Onnx.Surgery;

/// <summary>
/// Hooks any ONNX Runtime user can write. A writable hook H becomes <c>H = Where(H.write_mask, H.write_values, H.clean)</c>
/// behind the node that made it (renamed to H.clean): the mask (bool) and the values are initializers of one row of
/// zeros that are also graph inputs with a symbolic batch, so a Run that feeds nothing computes the clean H exactly, and
/// one that feeds them (a row or one per batch row) writes the selected elements: the select form of
/// <see cref="HookWrite"/>. <see cref="Strip"/> undoes it, node for node.
/// </summary>
public static class WritableHooks
{
    public const string MaskSuffix = ".write_mask";
    public const string ValuesSuffix = ".write_values";
    internal const string CleanSuffix = ".clean";

    /// <summary>The graph with <paramref name="hooks"/> writable; each must be a hook of <paramref name="config"/> the graph computes.</summary>
    public static ModelProto Apply(ModelProto model, TransformerConfig config, IReadOnlyList<string> hooks, TensorElementType element)
    {
        var proto = model.Clone();
        var g = proto.Graph;
        foreach (var hook in hooks)
        {
            var layout = HookLayout.Of(config, hook);
            var producer = GraphSurgery.ProducerOf(g, hook);
            if (producer < 0) throw new ModelContractException($"The graph computes no '{hook}' to make writable; export it with every position (any probe does).");
            var clean = hook + CleanSuffix;
            var node = g.Node[producer];
            node.Output[node.Output.IndexOf(hook)] = clean;
            long[] row = [1, .. layout.Dims.Select(d => (long)d)];
            g.Initializer.Add(OnnxTensor.FromArray(hook + MaskSuffix, new bool[layout.RowSize], row));
            g.Initializer.Add(element == TensorElementType.Double
                ? OnnxTensor.FromArray(hook + ValuesSuffix, new double[layout.RowSize], row)
                : OnnxTensor.FromArray(hook + ValuesSuffix, new float[layout.RowSize], row));
            Dim[] dims = [Dim.Symbolic("batch"), .. layout.Dims.Select(d => (Dim)d)];
            g.Input.Add(GraphSurgery.TensorValue(hook + MaskSuffix, TensorElementType.Bool, dims));
            g.Input.Add(GraphSurgery.TensorValue(hook + ValuesSuffix, element, dims));
            g.Node.Insert(producer + 1, new NodeProto
            {
                Name = hook + ".write",
                OpType = "Where",
                Input = { hook + MaskSuffix, hook + ValuesSuffix, clean },
                Output = { hook },
            });
        }
        return proto;
    }

    /// <summary>The hooks <paramref name="model"/> lets a Run write, in graph order.</summary>
    public static IReadOnlyList<string> Of(OnnxModel model) =>
        model.Graph.Node.Where(IsWrite).Select(n => n.Output[0]).ToList();

    /// <summary>The graph without its writable hooks: every write node gone, each hook made by its own node again.</summary>
    public static OnnxModel Strip(OnnxModel model)
    {
        var proto = model.Proto.Clone();
        var g = proto.Graph;
        var hooks = g.Node.Where(IsWrite).Select(n => n.Output[0]).ToHashSet(StringComparer.Ordinal);
        if (hooks.Count == 0) return new OnnxModel(proto);
        var nodes = g.Node.Where(n => !IsWrite(n)).ToArray();
        foreach (var node in nodes)
            for (var i = 0; i < node.Output.Count; i++)
                if (node.Output[i].EndsWith(CleanSuffix, StringComparison.Ordinal) && hooks.Contains(node.Output[i][..^CleanSuffix.Length]))
                    node.Output[i] = node.Output[i][..^CleanSuffix.Length];
        g.Node.Clear();
        g.Node.Add(nodes);
        bool Written(string name) => hooks.Any(h => name == h + MaskSuffix || name == h + ValuesSuffix);
        var initializers = g.Initializer.Where(t => !Written(t.Name)).ToArray();
        g.Initializer.Clear();
        g.Initializer.Add(initializers);
        var inputs = g.Input.Where(i => !Written(i.Name)).ToArray();
        g.Input.Clear();
        g.Input.Add(inputs);
        return new OnnxModel(proto);
    }

    private static bool IsWrite(NodeProto node) =>
        node.OpType == "Where" && node.Input.Count == 3 && node.Output.Count == 1 && node.Input[0] == node.Output[0] + MaskSuffix
        && node.Input[1] == node.Output[0] + ValuesSuffix && node.Input[2] == node.Output[0] + CleanSuffix;
}
