using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Runtime;

/// <summary>
/// A fixed batch of <see cref="Rows"/> token rows for repeated calls (one prediction at a time, a service loop): the token
/// buffer and every output buffer are managed arrays allocated once, with OrtValues over them created once, so a
/// <see cref="Run"/> allocates nothing and copies nothing. Write <see cref="Tokens"/>, call Run, read <see cref="Output"/>.
/// Not for use from two threads at once (one batch per thread). Dispose before the session.
/// </summary>
public sealed class PinnedBatch : IDisposable
{
    private readonly ModelSession _session;
    private readonly InferenceSession _ort;
    private readonly RunOptions _runOptions;
    private readonly long[] _tokens;
    private readonly OrtValue[] _inputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly float[][] _outputs;
    private readonly OrtValue[] _outputValues;

    internal PinnedBatch(ModelSession session, InferenceSession ort, RunOptions runOptions, string inputName, int rows, ModelValueInfo[] outputs)
    {
        _session = session;
        _ort = ort;
        _runOptions = runOptions;
        Rows = rows;
        _tokens = new long[rows * session.NCtx];
        _inputNames = [inputName];
        _outputNames = outputs.Select(o => o.Name).ToArray();
        _outputs = new float[outputs.Length][];
        _outputValues = new OrtValue[outputs.Length];
        _inputs = [OrtValue.CreateTensorValueFromMemory(_tokens, [rows, session.NCtx])];
        for (int i = 0; i < outputs.Length; i++)
        {
            _outputs[i] = new float[rows * outputs[i].FixedRowSize!.Value];
            var shape = outputs[i].Dimensions.Select((d, axis) => axis == 0 ? (long)rows : d).ToArray();
            _outputValues[i] = OrtValue.CreateTensorValueFromMemory(_outputs[i], shape);
        }
    }

    public int Rows { get; }

    /// <summary>The tokens [Rows, n_ctx] the next <see cref="Run"/> reads.</summary>
    public Span<long> Tokens => _tokens;

    /// <summary>One output [Rows, ...] as the last <see cref="Run"/> wrote it.</summary>
    public ReadOnlySpan<float> Output(string name)
    {
        int i = Array.IndexOf(_outputNames, name);
        if (i < 0) throw new ModelSessionException($"This batch has no output '{name}' (it has: {string.Join(", ", _outputNames)}); ask for it in CreateBatch.");
        return _outputs[i];
    }

    /// <summary>Checks the tokens and runs the model into the output buffers.</summary>
    public void Run()
    {
        _session.CheckTokensOf(_tokens);
        _session.Guarded(() => _ort.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputValues));
    }

    public void Dispose()
    {
        foreach (var v in _inputs) v.Dispose();
        foreach (var v in _outputValues) v.Dispose();
    }
}
