using System.Collections.ObjectModel;
using BitOnnx.Runtime.Native;
using BitOnnx.Runtime.Tensors;

namespace BitOnnx.Runtime;

/// <summary>
/// A loaded model ready to run, shaped like Microsoft.ML.OnnxRuntime.InferenceSession. Concurrent
/// <c>Run</c> calls on one session are safe (ORT's Run is thread-safe; disposal waits for running calls
/// to release the native session).
/// </summary>
public sealed unsafe partial class InferenceSession : IDisposable
{
    private readonly OrtSessionHandle handle = new();
    private readonly NodeMetadata[] inputs;
    private readonly NodeMetadata[] outputs;
    private readonly Dictionary<string, int> inputIndex;
    private readonly Dictionary<string, int> outputIndex;
    private readonly nint[] nativeInputNames;
    private readonly nint[] nativeOutputNames;

    public InferenceSession(string modelPath)
        : this(modelPath, null)
    {
    }

    public InferenceSession(string modelPath, SessionOptions? options)
        : this(options, (env, native) =>
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
            fixed (byte* path = Utf8.Bytes(modelPath)) return OrtApi.CreateSession(env, path, native);
        })
    {
    }

    public InferenceSession(byte[] model)
        : this(model, null)
    {
    }

    public InferenceSession(byte[] model, SessionOptions? options)
        : this(options, (env, native) =>
        {
            ArgumentNullException.ThrowIfNull(model);
            // ORT reads a zero-length buffer through a null pointer; refuse it here instead.
            if (model.Length == 0) throw new OnnxRuntimeException(ErrorCode.InvalidProtobuf, "The model is empty (0 bytes).");
            fixed (byte* data = model) return OrtApi.CreateSessionFromArray(env, data, (nuint)model.Length, native);
        })
    {
    }

    private InferenceSession(SessionOptions? options, Func<nint, nint, nint> create)
    {
        var ownedOptions = options is null ? new SessionOptions() : null;
        var effective = options ?? ownedOptions!;
        bool added = false;
        try
        {
            effective.Handle.DangerousAddRef(ref added);
            handle.Attach(create(OrtEnvironment.Env, effective.Handle.DangerousGetHandle()));
        }
        catch (OnnxRuntimeException e)
        {
            throw ExecutionProviderErrors.ForSessionCreation(effective.AppendedProviders, e);
        }
        finally
        {
            if (added) effective.Handle.DangerousRelease();
            ownedOptions?.Dispose();
        }

        try
        {
            nint session = handle.DangerousGetHandle();
            inputs = ReadMetadata(session, output: false);
            outputs = ReadMetadata(session, output: true);
            nativeInputNames = inputs.Select(m => Utf8.Allocate(m.Name)).ToArray();
            nativeOutputNames = outputs.Select(m => Utf8.Allocate(m.Name)).ToArray();
            handle.OwnNames([.. nativeInputNames, .. nativeOutputNames]);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        inputIndex = IndexByName(inputs);
        outputIndex = IndexByName(outputs);
        InputMetadata = AsOrderedDictionary(inputs);
        OutputMetadata = AsOrderedDictionary(outputs);
        InputNames = inputs.Select(m => m.Name).ToArray();
        OutputNames = outputs.Select(m => m.Name).ToArray();
    }

    /// <summary>Model inputs in declaration order, name to metadata.</summary>
    public IReadOnlyDictionary<string, NodeMetadata> InputMetadata { get; }

    /// <summary>Model outputs in declaration order, name to metadata.</summary>
    public IReadOnlyDictionary<string, NodeMetadata> OutputMetadata { get; }

    public IReadOnlyList<string> InputNames { get; }

    public IReadOnlyList<string> OutputNames { get; }

    public void Dispose() => handle.Dispose();

    private static NodeMetadata[] ReadMetadata(nint session, bool output)
    {
        int count = OrtApi.SessionGetCount(session, output);
        var result = new NodeMetadata[count];
        for (int i = 0; i < count; i++)
        {
            string name = OrtApi.SessionGetName(session, i, output);
            nint typeInfo = OrtApi.SessionGetTypeInfo(session, i, output);
            try
            {
                var kind = (OnnxValueType)OrtApi.GetOnnxTypeFromTypeInfo(typeInfo);
                nint tensorInfo = kind == OnnxValueType.ONNX_TYPE_TENSOR ? OrtApi.CastTypeInfoToTensorInfo(typeInfo) : 0;
                if (tensorInfo == 0)
                {
                    result[i] = new NodeMetadata(name, kind, TensorElementType.Undefined, [], []);
                    continue;
                }

                var dims = OrtApi.GetDimensions(tensorInfo);
                result[i] = new NodeMetadata(
                    name,
                    kind,
                    (TensorElementType)OrtApi.GetTensorElementType(tensorInfo),
                    dims,
                    OrtApi.GetSymbolicDimensions(tensorInfo, dims.Length));
            }
            finally
            {
                OrtApi.ReleaseTypeInfo(typeInfo);
            }
        }

        return result;
    }

    private static Dictionary<string, int> IndexByName(NodeMetadata[] values)
    {
        var index = new Dictionary<string, int>(values.Length, StringComparer.Ordinal);
        for (int i = 0; i < values.Length; i++) index[values[i].Name] = i;
        return index;
    }

    private static ReadOnlyDictionary<string, NodeMetadata> AsOrderedDictionary(NodeMetadata[] values)
    {
        var ordered = new OrderedDictionary<string, NodeMetadata>(values.Length, StringComparer.Ordinal);
        foreach (var value in values) ordered[value.Name] = value;
        return new ReadOnlyDictionary<string, NodeMetadata>(ordered);
    }
}
