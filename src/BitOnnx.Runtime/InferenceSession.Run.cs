using BitOnnx.Runtime.Native;

namespace BitOnnx.Runtime;

public sealed unsafe partial class InferenceSession
{
    /// <summary>Runs the model on the named inputs and returns every output, in model order.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyDictionary<string, OrtValue> inputs) =>
        Run(null, inputs, OutputNames);

    /// <summary>Runs the model on the named inputs and returns the requested outputs, in the order asked.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(
        RunOptions? runOptions, IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyCollection<string> outputNames)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        int i = 0;
        foreach (var (name, value) in inputs)
        {
            names[i] = name;
            values[i++] = value;
        }

        return Run(runOptions, names, values, outputNames);
    }

    /// <summary>
    /// Runs the model: <paramref name="inputNames"/>[i] is fed <paramref name="inputValues"/>[i]; returns the outputs
    /// named in <paramref name="outputNames"/>, in that order. Names, element types, ranks and fixed dimensions are
    /// checked against the model before ORT is called. Dispose the returned collection.
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(
        RunOptions? runOptions,
        IReadOnlyCollection<string> inputNames,
        IReadOnlyCollection<OrtValue> inputValues,
        IReadOnlyCollection<string> outputNames)
    {
        ArgumentNullException.ThrowIfNull(inputNames);
        ArgumentNullException.ThrowIfNull(inputValues);
        ArgumentNullException.ThrowIfNull(outputNames);
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);

        var inputValueArray = inputValues as OrtValue[] ?? inputValues.ToArray();
        int[] inputSlots = InputChecks.MatchInputs(inputs, inputIndex, inputNames, inputValueArray);
        int[] outputSlots = InputChecks.MatchOutputs(outputs, outputIndex, outputNames);
        return RunNative(runOptions, inputSlots, inputValueArray, outputSlots);
    }

    private DisposableList<OrtValue> RunNative(RunOptions? runOptions, int[] inputSlots, OrtValue[] inputValues, int[] outputSlots)
    {
        int inputCount = inputSlots.Length;
        int outputCount = outputSlots.Length;
        nint* inputNamePointers = stackalloc nint[inputCount];
        nint* inputPointers = stackalloc nint[inputCount];
        nint* outputNamePointers = stackalloc nint[outputCount];
        nint* outputPointers = stackalloc nint[outputCount];
        Span<bool> inputAdded = stackalloc bool[inputCount];
        inputAdded.Clear();
        bool sessionAdded = false;
        bool optionsAdded = false;
        try
        {
            handle.DangerousAddRef(ref sessionAdded);
            for (int i = 0; i < inputCount; i++)
            {
                inputValues[i].Handle.DangerousAddRef(ref inputAdded[i]);
                inputPointers[i] = inputValues[i].Handle.DangerousGetHandle();
                inputNamePointers[i] = nativeInputNames[inputSlots[i]];
            }

            for (int o = 0; o < outputCount; o++)
            {
                outputNamePointers[o] = nativeOutputNames[outputSlots[o]];
                outputPointers[o] = 0;
            }

            nint nativeRunOptions = 0;
            if (runOptions is not null)
            {
                runOptions.Handle.DangerousAddRef(ref optionsAdded);
                nativeRunOptions = runOptions.Handle.DangerousGetHandle();
            }

            OrtApi.Run(
                handle.DangerousGetHandle(), nativeRunOptions,
                inputNamePointers, inputPointers, (nuint)inputCount,
                outputNamePointers, (nuint)outputCount, outputPointers);
        }
        finally
        {
            if (optionsAdded) runOptions!.Handle.DangerousRelease();
            for (int i = 0; i < inputCount; i++)
            {
                if (inputAdded[i]) inputValues[i].Handle.DangerousRelease();
            }

            if (sessionAdded) handle.DangerousRelease();
        }

        return WrapOutputs(outputPointers, outputCount);
    }

    private static DisposableList<OrtValue> WrapOutputs(nint* outputPointers, int outputCount)
    {
        var results = new OrtValue[outputCount];
        for (int o = 0; o < outputCount; o++)
        {
            var valueHandle = new OrtValueHandle();
            valueHandle.Attach(outputPointers[o]);
            results[o] = new OrtValue(valueHandle);
        }

        return new DisposableList<OrtValue>(results);
    }
}
