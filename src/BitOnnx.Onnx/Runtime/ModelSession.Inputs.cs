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
        if (Input.Name != ModelContract.Embedded)
            throw new ModelSessionException($"Model '{Name}' takes '{Input.Name}', not embeddings; export it with --embedded-input, or run token rows with Run.");
        int dModel = Input.Dimensions[2];
        if (batch < 1 || embedded.Length != (long)batch * NCtx * dModel)
            throw new ModelSessionException($"Model '{Name}' takes embeddings [batch, {NCtx}, {dModel}]; {embedded.Length} values are not {batch} such rows.");
        long[] shape = [batch, NCtx, dModel];
        using var input = Input.ElementType == TensorElementType.Double
            ? OrtValue.CreateTensorValueFromMemory(embedded, shape)
            : OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(embedded, v => (float)v), shape);
        using var outputs = Guarded(() => _session.Run(_runOptions, _inputNames, [input], [ModelContract.Logits]));
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

    /// <summary>The one graph input (initializers listed as inputs excluded): tokens int64 [batch, n_ctx] or embedded [batch, n_ctx, d_model].</summary>
    private static (ModelValueInfo Input, int NCtx, string[] Names) ReadInput(InferenceSession session, string name)
    {
        var inputs = session.InputMetadata.Select(i => new ModelValueInfo(i.Key, (TensorElementType)(int)i.Value.ElementDataType, i.Value.Dimensions.ToArray())).ToArray();
        string listing = string.Join("; ", inputs.Select(i => $"{i.Name}: {i.ElementType} [{string.Join(", ", i.Dimensions.Select(d => d < 0 ? "batch" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]"));
        if (inputs.Length != 1)
            throw new ModelSessionException($"Model '{name}' has {inputs.Length} inputs ({listing}); a modular-addition model takes '{ModelContract.Tokens}' int64 [batch, 3] only. Give a model written by bitonnx export.");
        var input = inputs[0];
        bool tokens = input.Name == ModelContract.Tokens && input.ElementType == TensorElementType.Int64 && input.Dimensions.Length == 2;
        bool embedded = input.Name == ModelContract.Embedded && input.ElementType is TensorElementType.Float or TensorElementType.Double
            && input.Dimensions.Length == 3 && input.Dimensions[2] > 0;
        if (!tokens && !embedded)
            throw new ModelSessionException($"Model '{name}' takes {listing}; a modular-addition model takes '{ModelContract.Tokens}' int64 [batch, 3]. Give a model written by bitonnx export.");
        int nCtx = input.Dimensions[1] > 0 ? input.Dimensions[1] : 3;
        return (input, nCtx, [input.Name]);
    }
}
