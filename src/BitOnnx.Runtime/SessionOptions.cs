using BitOnnx.Runtime.Native;

namespace BitOnnx.Runtime;

/// <summary>
/// How a session is built: threads, graph optimization level, execution providers. Shaped like
/// Microsoft.ML.OnnxRuntime.SessionOptions; each setter applies to the native options at once.
/// One options object may configure several sessions; dispose it when done.
/// </summary>
public sealed unsafe class SessionOptions : IDisposable
{
    private readonly OrtSessionOptionsHandle handle = new();
    private readonly List<string> appendedProviders = [];
    private int intraOpNumThreads;
    private int interOpNumThreads;
    private GraphOptimizationLevel graphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
    private ExecutionMode executionMode = ExecutionMode.ORT_SEQUENTIAL;
    private string optimizedModelFilePath = string.Empty;
    private bool enableMemoryPattern = true;
    private bool enableCpuMemArena = true;

    public SessionOptions()
    {
        // Provider registration logs through ORT's default logger, which the environment creates: make sure it exists.
        _ = OrtEnvironment.Env;
        handle.Attach(OrtApi.CreateSessionOptions());
    }

    /// <summary>Threads inside one operator (0: ORT's default, one per physical core).</summary>
    public int IntraOpNumThreads
    {
        get => intraOpNumThreads;
        set => Apply(() => OrtApi.SetIntraOpNumThreads(Native, RequireNonNegative(value)), () => intraOpNumThreads = value);
    }

    /// <summary>Threads across independent operators (ORT_PARALLEL only; 0: ORT's default).</summary>
    public int InterOpNumThreads
    {
        get => interOpNumThreads;
        set => Apply(() => OrtApi.SetInterOpNumThreads(Native, RequireNonNegative(value)), () => interOpNumThreads = value);
    }

    /// <summary>
    /// Graph rewrites before running (default ORT_ENABLE_ALL). Note: at ORT_ENABLE_EXTENDED and above, ORT turns
    /// DequantizeLinear(int8) -> MatMul into MatMulNBits with accuracy_level 4, which is no longer exact.
    /// </summary>
    public GraphOptimizationLevel GraphOptimizationLevel
    {
        get => graphOptimizationLevel;
        set => Apply(() => OrtApi.SetSessionGraphOptimizationLevel(Native, (int)value), () => graphOptimizationLevel = value);
    }

    public ExecutionMode ExecutionMode
    {
        get => executionMode;
        set => Apply(() => OrtApi.SetSessionExecutionMode(Native, (int)value), () => executionMode = value);
    }

    /// <summary>Where ORT writes the graph after optimization (empty: nowhere). Useful to see what ORT rewrote.</summary>
    public string OptimizedModelFilePath
    {
        get => optimizedModelFilePath;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Apply(
                () =>
                {
                    fixed (byte* path = Utf8.Bytes(value)) OrtApi.SetOptimizedModelFilePath(Native, path);
                },
                () => optimizedModelFilePath = value);
        }
    }

    public bool EnableMemoryPattern
    {
        get => enableMemoryPattern;
        set => Apply(() => OrtApi.SetMemPattern(Native, value), () => enableMemoryPattern = value);
    }

    public bool EnableCpuMemArena
    {
        get => enableCpuMemArena;
        set => Apply(() => OrtApi.SetCpuMemArena(Native, value), () => enableCpuMemArena = value);
    }

    /// <summary>Execution providers appended so far, in priority order (CPU is always the implicit fallback).</summary>
    public IReadOnlyList<string> AppendedProviders => appendedProviders;

    internal OrtSessionOptionsHandle Handle => handle;

    private nint Native
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle.DangerousGetHandle();
        }
    }

    /// <summary>A session configuration entry, e.g. ("session.intra_op.allow_spinning", "0").</summary>
    public void AddSessionConfigEntry(string key, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        WithHandle(() =>
        {
            fixed (byte* k = Utf8.Bytes(key))
            fixed (byte* v = Utf8.Bytes(value))
            {
                OrtApi.AddSessionConfigEntry(Native, k, v);
            }
        });
    }

    /// <summary>The CPU execution provider (always available; ORT also falls back to it by itself).</summary>
    public void AppendExecutionProvider_CPU(int useArena = 1)
    {
        WithHandle(() => OrtApi.SessionOptionsAppendExecutionProvider_CPU(Native, useArena));
        appendedProviders.Add(ExecutionProviderErrors.Cpu);
    }

    /// <summary>
    /// The CUDA execution provider on <paramref name="deviceId"/>. Throws <see cref="OnnxRuntimeException"/> naming the
    /// missing libraries when the CUDA provider libraries are not installed beside ORT.
    /// </summary>
    public void AppendExecutionProvider_CUDA(int deviceId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        WithHandle(() =>
        {
            nint cudaOptions = OrtApi.CreateCUDAProviderOptions();
            try
            {
                fixed (byte* keyText = Utf8.Bytes("device_id"))
                fixed (byte* valueText = Utf8.Bytes(deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                {
                    byte* key = keyText;
                    byte* value = valueText;
                    OrtApi.UpdateCUDAProviderOptions(cudaOptions, &key, &value, 1);
                }

                OrtApi.SessionOptionsAppendExecutionProvider_CUDA_V2(Native, cudaOptions);
            }
            catch (OnnxRuntimeException e)
            {
                throw ExecutionProviderErrors.Cuda(e);
            }
            finally
            {
                OrtApi.ReleaseCUDAProviderOptions(cudaOptions);
            }
        });
        appendedProviders.Add(ExecutionProviderErrors.CudaProvider);
    }

    /// <summary>The WebGPU execution provider (Dawn; needs a Vulkan-capable adapter).</summary>
    public void AppendExecutionProvider_WebGPU(IReadOnlyDictionary<string, string>? providerOptions = null) =>
        AppendExecutionProvider(ExecutionProviderErrors.WebGpu, providerOptions);

    /// <summary>Any provider by its registration name ("WebGPU", "XNNPACK", ...) with string options.</summary>
    public void AppendExecutionProvider(string providerName, IReadOnlyDictionary<string, string>? providerOptions = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(providerName);
        var pairs = providerOptions?.ToArray() ?? [];
        var keys = pairs.Select(p => Utf8.Allocate(p.Key)).ToArray();
        var values = pairs.Select(p => Utf8.Allocate(p.Value)).ToArray();
        try
        {
            WithHandle(() =>
            {
                fixed (byte* name = Utf8.Bytes(providerName))
                fixed (nint* k = keys)
                fixed (nint* v = values)
                {
                    OrtApi.SessionOptionsAppendExecutionProvider(Native, name, (byte**)k, (byte**)v, (nuint)pairs.Length);
                }
            });
        }
        catch (OnnxRuntimeException e)
        {
            throw ExecutionProviderErrors.ForAppend(providerName, e);
        }
        finally
        {
            foreach (nint p in keys) Utf8.Free(p);
            foreach (nint p in values) Utf8.Free(p);
        }

        appendedProviders.Add(providerName);
    }

    public void Dispose() => handle.Dispose();

    private void Apply(Action native, Action remember)
    {
        WithHandle(native);
        remember();
    }

    private void WithHandle(Action native)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            native();
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private static int RequireNonNegative(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        return threads;
    }
}
