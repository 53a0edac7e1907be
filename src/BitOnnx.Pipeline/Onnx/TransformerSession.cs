using BitOnnx.Core;
using System.Globalization;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Export;
using BitOnnx.Runtime;
using BitOnnx.Runtime.Tensors;

namespace BitOnnx.Pipeline.Onnx;

/// <summary>
/// An exported modular-addition model on ONNX Runtime: feeds token batches [batch, nCtx] and returns the named
/// outputs (logits and probes) as float arrays, in batches so that all P*P pairs fit in memory with every probe.
/// </summary>
public sealed class TransformerSession : IDisposable
{
    private readonly InferenceSession _session;

    public TransformerSession(byte[] model, SessionOptions? options = null)
    {
        var onnx = OnnxModel.FromBytes(model);
        Metadata = onnx.Metadata;
        P = Metadata.TryGetValue(TransformerExporter.MetadataPrefix + "p", out var p)
            ? int.Parse(p, CultureInfo.InvariantCulture)
            : throw new OnnxModelMismatchException("This ONNX model has no 'bitonnx.p' metadata: it was not exported by bitonnx export.");
        _session = new InferenceSession(model, options ?? DefaultOptions());
        if (!_session.InputMetadata.ContainsKey("tokens"))
            throw new OnnxModelMismatchException($"This ONNX model takes {string.Join(", ", _session.InputNames)}, not 'tokens'; export it without the embedded-input option.");
        NCtx = _session.InputMetadata["tokens"].Dimensions[1];
    }

    public static TransformerSession Open(string path, SessionOptions? options = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        return new TransformerSession(File.ReadAllBytes(path), options);
    }

    /// <summary>
    /// Sessions BitOnnx opens itself: one intra-op thread per core, and MatMulNBits rewrites of int8 weights kept at
    /// float32 accuracy, so graph optimizations do not change results (ORT's default accuracy level 4 drifts by ~1e-2).
    /// </summary>
    public static SessionOptions DefaultOptions(int threads = 0, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        var options = new SessionOptions { GraphOptimizationLevel = level, IntraOpNumThreads = threads };
        options.AddSessionConfigEntry("session.qdq_matmulnbits_accuracy_level", "1");
        return options;
    }

    public int P { get; }
    public int NCtx { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>Shape of an output for a batch of <paramref name="batch"/>.</summary>
    public int[] OutputShape(string name, int batch) =>
        _session.OutputMetadata[name].Dimensions.Select((d, i) => i == 0 ? batch : d).ToArray();

    /// <summary>Runs [batch, nCtx] tokens and returns each requested output, concatenated over batches.</summary>
    public IReadOnlyDictionary<string, float[]> Run(long[] tokens, IReadOnlyList<string> outputs, int batchSize = 4096)
    {
        var missing = outputs.Where(o => !_session.OutputMetadata.ContainsKey(o)).ToList();
        if (missing.Count > 0)
            throw new OnnxModelMismatchException($"This ONNX model has no output(s) {string.Join(", ", missing)}. Outputs: {string.Join(", ", OutputNames)}. Re-export with --probes all.");
        var rows = tokens.Length / NCtx;
        var result = outputs.ToDictionary(o => o, o => new float[(long)rows * OutputShape(o, 1).Aggregate(1, (a, b) => a * b)]);
        for (var start = 0; start < rows; start += batchSize)
        {
            var count = Math.Min(batchSize, rows - start);
            var slice = tokens[(start * NCtx)..((start + count) * NCtx)];
            using var input = OrtValue.CreateTensorValueFromMemory(slice, [count, NCtx]);
            using var values = _session.Run(null, ["tokens"], [input], outputs.ToArray());
            for (var i = 0; i < outputs.Count; i++)
            {
                var data = values[i].GetTensorDataAsSpan<float>();
                data.CopyTo(result[outputs[i]].AsSpan(start * (data.Length / count)));
            }
        }
        return result;
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>An ONNX model that is not what the command needs (no metadata, missing outputs, other P).</summary>
public sealed class OnnxModelMismatchException(string message) : BitOnnxException(message);
