using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Proto;
using BitOnnx.Onnx.Weights;

namespace BitOnnx.Onnx.Surgery;

/// <summary>
/// Rewrites a float32 graph to compute the same function in float64, for central differences that need more than
/// float's 24 bits: float initializers, inputs, outputs and Casts become double; a DequantizeLinear of initializers
/// becomes its dequantized values, a 2-bit MatMulNBits a MatMul by its unpacked matrix, and a 2-bit export's unpacking
/// nodes the matrix they unpack (<see cref="NBitsCodes"/>; the folded weights are exactly those values, so the function
/// is unchanged); nodes left unused go (<see cref="GraphSurgery.Prune"/>). Operators outside a list with float64 kernels
/// in ONNX Runtime's CPU provider (e.g. DynamicQuantizeLinear, whose rounding of activations has no derivative) leave
/// the model as it is.
/// </summary>
public static class DoublePrecisionRewrite
{
    private static readonly HashSet<string> DoubleOps = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "MatMul", "Gemm", "Relu", "Softmax", "LogSoftmax", "Transpose", "Reshape", "Identity",
        "Gather", "Expand", "Shape", "Max", "Min", "ReduceL2", "ReduceSum", "ReduceMean", "Sqrt", "Neg", "Exp", "Log",
        "Tanh", "Sigmoid", "Concat", "Slice", "Squeeze", "Unsqueeze", "Cast", "Flatten", "Abs", "Pow", "Where",
    };

    /// <summary>The float64 model, or null with the reason when the graph has an operator this rewrite does not carry over.</summary>
    public static OnnxModel? TryApply(OnnxModel model, out string? reason)
    {
        var proto = model.Proto.Clone();
        var g = proto.Graph;
        FoldUnpackedTwoBitWeights(model, g);
        var initializers = g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in g.Node)
        {
            bool known = node.Domain is "" or "ai.onnx" && DoubleOps.Contains(node.OpType);
            bool foldable = node.OpType is "DequantizeLinear" or "MatMulNBits" && Foldable(node, initializers);
            if (!known && !foldable)
            {
                reason = $"operator {(node.Domain is "" or "ai.onnx" ? "" : node.Domain + ".")}{node.OpType} ('{node.Name}') has no float64 rewrite";
                return null;
            }
        }

        var folded = new List<TensorProto>();
        for (int i = 0; i < g.Node.Count; i++)
        {
            var node = g.Node[i];
            if (node.OpType == "DequantizeLinear")
            {
                var values = QuantizedInitializers.Dequantize(model, node);
                folded.Add(OnnxTensor.FromArray(node.Output[0], Array.ConvertAll(values, v => (double)v), model.GetInitializer(node.Input[0]).Dims.ToArray()));
                g.Node.RemoveAt(i--);
            }
            else if (node.OpType == "MatMulNBits")
            {
                var w = NBitsCodes.ReadMatMulNBits(model, node, out int k, out int n);
                string matrix = node.Input[1] + ".unpacked";
                folded.Add(OnnxTensor.FromArray(matrix, Array.ConvertAll(w, v => (double)v), [k, n]));
                g.Node[i] = new NodeProto { Name = node.Name, OpType = "MatMul", Input = { node.Input[0], matrix }, Output = { node.Output[0] } };
            }
        }
        var promoted = g.Initializer.Select(ToDouble).Concat(folded).ToArray();
        g.Initializer.Clear();
        g.Initializer.Add(promoted);
        foreach (var node in g.Node.Where(n => n.OpType == "Cast"))
            foreach (var a in node.Attribute.Where(a => a.Name == "to" && a.I == (long)TensorElementType.Float)) a.I = (long)TensorElementType.Double;
        foreach (var v in g.Input.Concat(g.Output).Concat(g.ValueInfo))
            if (v.Type?.TensorType is { ElemType: (int)TensorElementType.Float } t) t.ElemType = (int)TensorElementType.Double;
        GraphSurgery.Prune(g, model.Graph.Name);
        reason = null;
        return new OnnxModel(proto);
    }

    /// <summary>
    /// A 2-bit export's NAME.unpacked (the float weight its codes unpack to when ONNX Runtime loads it, NBitsCodes)
    /// becomes that weight as a double initializer, and the unpacking nodes, now unused, go.
    /// </summary>
    private static void FoldUnpackedTwoBitWeights(OnnxModel model, GraphProto g)
    {
        bool folded = false;
        for (int i = 0; i < g.Node.Count; i++)
        {
            var output = g.Node[i].Output.Count == 1 ? g.Node[i].Output[0] : "";
            if (!output.EndsWith(NBitsCodes.UnpackedSuffix, StringComparison.Ordinal)) continue;
            if (NBitsCodes.ReadUnpacked(model, output[..^NBitsCodes.UnpackedSuffix.Length], out int k, out int n) is not { } w) continue;
            g.Initializer.Add(OnnxTensor.FromArray(output, Array.ConvertAll(w, v => (double)v), [k, n]));
            g.Node.RemoveAt(i--);
            folded = true;
        }
        if (folded) GraphSurgery.Prune(g, model.Graph.Name);
    }

    /// <summary>DequantizeLinear (x, scale, zero point) or 2-bit MatMulNBits (B, scales, zero points; no g_idx, no bias) of initializers only.</summary>
    private static bool Foldable(NodeProto node, HashSet<string> initializers)
    {
        if (node.OpType == "MatMulNBits" && node.Attribute.FirstOrDefault(a => a.Name == "bits")?.I != NBitsCodes.Bits) return false;
        var (first, count) = node.OpType == "MatMulNBits" ? (1, 3) : (0, 3);
        if (node.Input.Skip(first + count).Any(s => s.Length > 0)) return false;
        return node.Input.Skip(first).Take(count).All(s => s.Length == 0 || initializers.Contains(s));
    }

    private static TensorProto ToDouble(TensorProto t) =>
        OnnxTensor.ElementTypeOf(t) == TensorElementType.Float
            ? OnnxTensor.FromArray(t.Name, Array.ConvertAll(OnnxTensor.ToArray<float>(t), v => (double)v), t.Dims.ToArray())
            : t;
}
