
using BitOnnx.Onnx.Proto;

namespace BitOnnx.Onnx.Surgery;

/// <summary>
/// Rewrites a graph for ML.NET's one-row calls so that ONNX Runtime's default session (one intra-op thread per core)
/// is as fast as a single-threaded one. ONNX Runtime's GEMM (MLAS) gives a product of M·N·K multiplies
/// M·N·K / 65,536 + 1 threads (MLAS_SGEMM_THREAD_COMPLEXITY in onnxruntime/core/mlas/lib/mlasi.h, used by
/// MlasGemmBatch in sgemm.cpp), so one row (M = 1) against the [128, 512] W_in or the [512, 128] W_out is handed to the
/// pool on every call; the hand-off and the worker's spinning cost more than the half product saves (see
/// src/BitOnnx.ML/README.md for the measurements). Each such MatMul becomes MatMuls over column blocks with fewer than
/// 65,536 weights each, joined by a Concat that keeps the original output name (hooks and downstream nodes unchanged).
/// Each output column is the same dot product as before, summed in the same order. Batched calls still use every thread:
/// a block of many rows is still a large product.
/// </summary>
public static class OneRowMatMuls
{
    /// <summary>MLAS's multiplies per thread: a product with fewer runs on the calling thread alone.</summary>
    public const long MlasThreadComplexity = 64 * 1024;

    /// <summary>Splits, in place, every MatMul whose weight is a float [K, N] initializer with K·N ≥ 65,536; returns how many weights.</summary>
    /// <remarks>Weights computed in the graph (reshaped heads, dequantized codes) are left as they are.</remarks>
    public static int Split(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var names = graph.Node.Select(n => n.Name).Concat(graph.Initializer.Select(t => t.Name)).ToHashSet(StringComparer.Ordinal);
        var nodes = graph.Node.ToArray();
        graph.Node.Clear();
        var split = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            var blocks = node.OpType == "MatMul" && node.Domain is "" && node.Input.Count == 2 &&
                initializers.TryGetValue(node.Input[1], out var weight) ? ColumnBlocks(weight) : 0;
            if (blocks < 2)
            {
                graph.Node.Add(node);
                continue;
            }
            graph.Node.Add(Blocks(graph, node, initializers[node.Input[1]], blocks, names));
            split.Add(node.Input[1]);
        }
        RemoveUnread(graph, split);
        return split.Count;
    }

    /// <summary>How many column blocks keep each block under MLAS's threshold at M = 1; 0 when none is needed or possible.</summary>
    private static int ColumnBlocks(TensorProto weight)
    {
        if (weight.DataType != (int)TensorElementType.Float || weight.Dims.Count != 2) return 0;
        long rows = weight.Dims[0], columns = weight.Dims[1];
        if (rows * columns < MlasThreadComplexity || rows >= MlasThreadComplexity) return 0;
        var blocks = 2;
        while (rows * Width(columns, blocks, 0) >= MlasThreadComplexity) blocks++;
        return blocks;
    }

    /// <summary>Columns of block <paramref name="index"/> of <paramref name="blocks"/> near-equal blocks.</summary>
    private static long Width(long columns, int blocks, int index) => columns / blocks + (index < columns % blocks ? 1 : 0);

    /// <summary>The MatMuls over each block of columns, then the Concat under the node's name and output.</summary>
    private static NodeProto Blocks(GraphProto graph, NodeProto node, TensorProto weight, int blocks, HashSet<string> names)
    {
        long rows = weight.Dims[0], columns = weight.Dims[1];
        var values = OnnxTensor.ToArray<float>(weight);
        var concat = new NodeProto { OpType = "Concat", Name = node.Name, Output = { node.Output[0] } };
        concat.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = -1 });
        long start = 0;
        for (var b = 0; b < blocks; b++)
        {
            var width = Width(columns, blocks, b);
            var block = new float[rows * width];
            for (long r = 0; r < rows; r++)
                values.AsSpan((int)(r * columns + start), (int)width).CopyTo(block.AsSpan((int)(r * width), (int)width));
            var suffix = $".columns_{start}_{start + width}";
            var blockWeight = Unique(weight.Name + suffix, names);
            graph.Initializer.Add(OnnxTensor.FromArray<float>(blockWeight, block, [rows, width]));
            var output = Unique(node.Output[0] + suffix, names);
            graph.Node.Add(new NodeProto { OpType = "MatMul", Name = Unique(node.Name + suffix, names), Input = { node.Input[0], blockWeight }, Output = { output } });
            concat.Input.Add(output);
            start += width;
        }
        return concat;
    }

    private static string Unique(string name, HashSet<string> names)
    {
        var candidate = name;
        for (var i = 2; !names.Add(candidate); i++) candidate = $"{name}_{i}";
        return candidate;
    }

    /// <summary>Drops the split weights that nothing reads any more (another node or a graph output may still).</summary>
    private static void RemoveUnread(GraphProto graph, HashSet<string> split)
    {
        var read = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var t in graph.Initializer.Where(t => split.Contains(t.Name) && !read.Contains(t.Name)).ToArray()) graph.Initializer.Remove(t);
    }
}
