using BitOnnx.Core.Model;
using BitOnnx.ML;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;
using Microsoft.ML;

namespace BitOnnx.Pipelines.Models;

/// <summary>
/// Any file <c>bitonnx export</c> writes, run on token rows [a, b, =]: an ONNX graph (token, pair or embedded-input
/// signature, through <see cref="ModelSession"/>) or an ML.NET model zip (through ML.NET's own Transform). What
/// <c>predict</c> and <c>verify</c> take.
/// </summary>
public abstract class ExportedModel : IDisposable
{
    public abstract string Name { get; }

    public abstract int P { get; }

    /// <summary>What it is, for messages and tables: "ONNX (tokens)", "ONNX (pair)", "ML.NET model zip", ...</summary>
    public abstract string Kind { get; }

    /// <summary>What an ONNX export says about itself; null for an ML.NET zip.</summary>
    public virtual ExportMetadata? Metadata => null;

    /// <summary>Its outputs that are float arrays per row (logits, and probes where it has them).</summary>
    public abstract IReadOnlyList<string> OutputNames { get; }

    /// <summary>The named outputs over <paramref name="tokens"/> [rows, 3], row-major.</summary>
    public abstract IReadOnlyDictionary<string, float[]> Run(long[] tokens, IReadOnlyCollection<string> outputs);

    /// <summary>A .zip is an ML.NET model; anything else an ONNX model.</summary>
    public static ExportedModel Open(string path, ModelSessionOptions? options = null) =>
        path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? new MlNetZip(path) : new OnnxGraph(ModelSession.Open(path, options));

    public abstract void Dispose();

    private sealed class OnnxGraph(ModelSession session) : ExportedModel
    {
        public override string Name => session.Name;
        public override int P => session.P;
        public override string Kind => $"ONNX ({session.InputKind.ToString().ToLowerInvariant()})";
        public override ExportMetadata? Metadata => session.Metadata;
        public override IReadOnlyList<string> OutputNames => session.Outputs.Where(o => o.ElementType is BitOnnx.Onnx.TensorElementType.Float or BitOnnx.Onnx.TensorElementType.Double).Select(o => o.Name).ToList();

        public override IReadOnlyDictionary<string, float[]> Run(long[] tokens, IReadOnlyCollection<string> outputs) =>
            session.Run(tokens, outputs).ToDictionary(o => o.Key, o => o.Value.Data);

        public override void Dispose() => session.Dispose();
    }

    private sealed class MlNetZip : ExportedModel
    {
        private readonly MLContext _ml = new(seed: 0);
        private readonly ITransformer _model;

        public MlNetZip(string path)
        {
            Name = Path.GetFileName(path);
            (_model, P) = MlNetModelFile.Load(_ml, path);
            Metadata = MlNetModelFile.EmbeddedMetadata(path);
        }

        public override ExportMetadata? Metadata { get; }

        public override string Name { get; }
        public override int P { get; }
        public override string Kind => "ML.NET model zip";
        public override IReadOnlyList<string> OutputNames { get; } = [HookNames.Logits];

        public override IReadOnlyDictionary<string, float[]> Run(long[] tokens, IReadOnlyCollection<string> outputs)
        {
            var pairs = Enumerable.Range(0, tokens.Length / 3).Select(r => ((int)tokens[r * 3], (int)tokens[r * 3 + 1])).ToList();
            return new Dictionary<string, float[]> { [HookNames.Logits] = MlNetModelFile.Logits(_ml, _model, P, pairs) };
        }

        public override void Dispose()
        {
        }
    }
}
