using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.Pipeline.Onnx;

namespace BitOnnx.Pipeline.ModularAddition;

/// <summary>
/// A trained modular-addition model (ML.NET's ITransformer role): scores rows in batches, makes prediction engines,
/// saves itself and exports to ONNX. Backed by the training engine (after Fit or Load of a checkpoint) or by ONNX
/// Runtime (ApplyOnnxModel). Dispose it to release the ONNX Runtime session; any use afterwards throws.
/// </summary>
public sealed class ModularAdditionTransformer : IDisposable
{
    private readonly IScorer _scorer;
    private readonly ModelCheckpoint.Loaded? _checkpoint;
    private bool _disposed;

    internal ModularAdditionTransformer(IScorer scorer, ModelCheckpoint.Loaded? checkpoint, string? executionProvider = null, string? fallbackReason = null)
    {
        _scorer = scorer;
        _checkpoint = checkpoint;
        ExecutionProvider = executionProvider ?? "engine";
        FallbackReason = fallbackReason;
    }

    public int P => _scorer.P;
    /// <summary>The model config when this transformer holds a checkpoint; null for one made from an ONNX file.</summary>
    public TransformerConfig? Config => _checkpoint?.Config;
    /// <summary>"engine", or the ONNX Runtime execution provider in use ("Cpu", "Cuda").</summary>
    public string ExecutionProvider { get; }
    /// <summary>Why the requested GPU provider was not used, when ApplyOnnxModel fell back to the CPU.</summary>
    public string? FallbackReason { get; }

    /// <summary>Predicts every row; a row with an addend outside 0..P−1 fails the whole call, naming the row.</summary>
    public IReadOnlyList<ModularAdditionPrediction> Transform(IEnumerable<ModularAdditionInput> rows)
    {
        ThrowIfDisposed();
        var list = rows as IReadOnlyList<ModularAdditionInput> ?? rows.ToList();
        if (list.Count == 0) return [];
        var logits = _scorer.Score(RowChecks.Tokens(list, P));
        var predictions = new ModularAdditionPrediction[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            var scores = logits.AsSpan(i * P, P).ToArray();
            predictions[i] = new ModularAdditionPrediction(list[i].A, list[i].B, ExportVerification.ArgMax(scores), scores);
        }
        return predictions;
    }

    public PredictionEngine CreatePredictionEngine()
    {
        ThrowIfDisposed();
        return new PredictionEngine(this);
    }

    /// <summary>Saves the checkpoint (safetensors) this transformer holds; ONNX-backed transformers are saved by their file.</summary>
    public void Save(string path)
    {
        ThrowIfDisposed();
        var checkpoint = _checkpoint ?? throw new InvalidOperationException("This transformer was made from an ONNX model; keep that file instead of saving.");
        ModelCheckpoint.Save(path, checkpoint.Config, checkpoint.Parameters, checkpoint.Facts);
    }

    /// <summary>Exports to ONNX (see <see cref="TransformerExporter"/>), written whole or not at all.</summary>
    public ExportResult SaveAsOnnx(string path, WeightFormat weights = WeightFormat.Float, ProbeSelection? probes = null)
    {
        ThrowIfDisposed();
        var checkpoint = _checkpoint ?? throw new InvalidOperationException("This transformer was made from an ONNX model; it is already ONNX.");
        var result = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = weights, Probes = probes ?? ProbeSelection.None });
        result.Model.Save(path);
        return result;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _scorer.Dispose();
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}

/// <summary>Single-row predictions from a transformer (ML.NET's PredictionEngine); not thread-safe, like ML.NET's.</summary>
public sealed class PredictionEngine(ModularAdditionTransformer transformer)
{
    public ModularAdditionPrediction Predict(ModularAdditionInput row) => transformer.Transform([row])[0];
}
