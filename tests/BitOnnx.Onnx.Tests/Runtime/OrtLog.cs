using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>
/// ONNX Runtime's own log, caught in process. Its sink belongs to the process-wide OrtEnv, which exists once and can be
/// given a logging function only when it is created, so <see cref="Install"/> runs before any test touches ONNX Runtime
/// (the assembly's initializer). The environment logs at WARNING, as the default one does; a session opened through
/// <see cref="Capture"/> gets its own log id and logs at INFO, and its lines are kept apart from every other session's, so
/// tests that run in parallel neither see nor change each other's logs. Lines of other sessions at WARNING and above go
/// to stderr, where the default sink writes them.
/// </summary>
internal static class OrtLog
{
    /// <summary>What MatMulNBits logs when MLAS has no kernel for its configuration (contrib_ops/cpu/quantization/matmul_nbits.cc).</summary>
    public const string FallbackMessage = "Falling back to using unpacked compute mode";

    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Sinks = new(StringComparer.Ordinal);
    private static readonly DOrtLoggingFunction Function = Write;
    private static int _installed;

    /// <summary>Creates the OrtEnv with the logging function; fails if something created it first.</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        if (OrtEnv.IsCreated) throw new InvalidOperationException("ONNX Runtime's environment exists already; OrtLog.Install must run before any session is made.");
        var options = new EnvironmentCreationOptions
        {
            logId = "bitonnx-tests",
            logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            loggingFunction = Function,
        };
        OrtEnv.CreateInstanceWithOptions(ref options);
    }

    /// <summary>A new capture; <see cref="Capture.Apply"/> points session options at it.</summary>
    public static Capture Start() => new($"capture-{Guid.NewGuid():N}");

    private static void Write(IntPtr param, OrtLoggingLevel severity, string category, string logId, string codeLocation, string message)
    {
        if (Sinks.TryGetValue(logId, out var sink)) sink.Enqueue($"{codeLocation} {message}");
        else if (severity >= OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING) Console.Error.WriteLine($"onnxruntime [{severity}] {logId} {codeLocation}: {message}");
    }

    /// <summary>The lines one or more sessions logged at INFO and above under one log id.</summary>
    public sealed class Capture : IDisposable
    {
        private readonly ConcurrentQueue<string> _lines = new();

        internal Capture(string logId)
        {
            if (Interlocked.CompareExchange(ref _installed, 0, 0) == 0) throw new InvalidOperationException("OrtLog.Install has not run.");
            LogId = logId;
            Sinks[logId] = _lines;
        }

        public string LogId { get; }

        public IReadOnlyList<string> Lines => _lines.ToArray();

        /// <summary>Session options log at INFO under this capture's id.</summary>
        public SessionOptions Apply(SessionOptions options)
        {
            options.LogId = LogId;
            options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO;
            return options;
        }

        public IReadOnlyList<string> Containing(string text) => _lines.Where(l => l.Contains(text, StringComparison.Ordinal)).ToArray();

        public void Clear() => _lines.Clear();

        public void Dispose() => Sinks.TryRemove(LogId, out _);
    }
}
