using BitOnnx.Onnx.Contract;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Runtime;

public sealed partial class ModelSession
{
    /// <summary>
    /// Runs an embedded-input model on <paramref name="embedded"/> [batch, n_ctx, d_model] (float64 if the model takes
    /// float64, else rounded to float32) and returns its logits in float64 with their shape ([batch, P], or
    /// [batch, positions, P] if the graph keeps every position).
    /// </summary>
    public (double[] Data, long[] Shape) RunEmbedded(double[] embedded, int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_input.Kind != ModelInputKind.Embedded)
            throw new ModelSessionException($"Model '{Name}' takes token rows, not embeddings; give its --embedded-input export to feed embeddings.");
        int dModel = _session.InputMetadata[ModelContract.Embedded].Dimensions[2];
        if (batch < 1 || embedded.Length != (long)batch * NCtx * dModel)
            throw new ModelSessionException($"Model '{Name}' takes embeddings [batch, {NCtx}, {dModel}]; {embedded.Length} values are not {batch} such rows.");
        long[] shape = [batch, NCtx, dModel];
        using var input = _input.Element == TensorElementType.Double
            ? OrtValue.CreateTensorValueFromMemory(embedded, shape)
            : OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(embedded, v => (float)v), shape);
        using var outputs = Guarded(() => _session.Run(_runOptions, _input.Names, [input], [ModelContract.Logits]));
        var value = outputs[0];
        var info = value.GetTensorTypeAndShape();
        var data = (TensorElementType)(int)info.ElementDataType switch
        {
            TensorElementType.Double => value.GetTensorDataAsSpan<double>().ToArray(),
            TensorElementType.Float => Array.ConvertAll(value.GetTensorDataAsSpan<float>().ToArray(), v => (double)v),
            var t => throw new ModelSessionException($"Model '{Name}': logits are {t}; they must be float or double."),
        };
        return (data, info.Shape);
    }

}
