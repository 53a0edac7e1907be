using BitOnnx.Onnx.Proto;
using BitOnnx.Onnx.Surgery;

namespace BitOnnx.Onnx.Export.Sequence;

/// <summary>
/// Writable hooks in a sequence graph, in <see cref="WritableHooks"/>' form (so its <see cref="WritableHooks.Of"/> and
/// <see cref="WritableHooks.Strip"/> read them): <c>H = Where(H.write_mask, H.write_values, H.clean)</c>. The one
/// difference is the default: the length is not fixed, so the mask and values a run does not feed are initializers with
/// one element on the batch and position axes (hook_z's [1, 1, H, E], false and 0), which Where broadcasts to H's shape
/// at any length.
/// </summary>
internal static class SequenceWritableHooks
{
    public static ModelProto Apply(ModelProto model, IReadOnlyList<(string Hook, Dim[] Dims)> hooks)
    {
        var proto = model.Clone();
        var g = proto.Graph;
        foreach (var (hook, dims) in hooks)
        {
            var producer = GraphSurgery.ProducerOf(g, hook);
            if (producer < 0) throw new InvalidOperationException($"The sequence graph computes no '{hook}'.");
            var clean = hook + WritableHooks.CleanSuffix;
            var node = g.Node[producer];
            node.Output[node.Output.IndexOf(hook)] = clean;
            var row = dims.Select(d => d.Size ?? 1L).ToArray();
            var size = (int)row.Aggregate(1L, (a, b) => a * b);
            g.Initializer.Add(OnnxTensor.FromArray(hook + WritableHooks.MaskSuffix, new bool[size], row));
            g.Initializer.Add(OnnxTensor.FromArray(hook + WritableHooks.ValuesSuffix, new float[size], row));
            g.Input.Add(GraphSurgery.TensorValue(hook + WritableHooks.MaskSuffix, TensorElementType.Bool, dims));
            g.Input.Add(GraphSurgery.TensorValue(hook + WritableHooks.ValuesSuffix, TensorElementType.Float, dims));
            g.Node.Insert(producer + 1, new NodeProto
            {
                Name = hook + ".write",
                OpType = "Where",
                Input = { hook + WritableHooks.MaskSuffix, hook + WritableHooks.ValuesSuffix, clean },
                Output = { hook },
            });
        }
        return proto;
    }
}
