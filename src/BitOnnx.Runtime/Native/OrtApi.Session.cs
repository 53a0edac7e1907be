namespace BitOnnx.Runtime.Native;

internal static unsafe partial class OrtApi
{
    /// <summary>#7 CreateSession(const OrtEnv*, const char* path, const OrtSessionOptions*, OrtSession** out)</summary>
    public static nint CreateSession(nint env, byte* modelPath, nint options)
    {
        nint session;
        OrtStatus.Check(((delegate* unmanaged<nint, byte*, nint, nint*, nint>)T[7])(env, modelPath, options, &session));
        return session;
    }

    /// <summary>#8 CreateSessionFromArray(const OrtEnv*, const void* data, size_t length, const OrtSessionOptions*, OrtSession** out)</summary>
    public static nint CreateSessionFromArray(nint env, void* data, nuint length, nint options)
    {
        nint session;
        OrtStatus.Check(((delegate* unmanaged<nint, void*, nuint, nint, nint*, nint>)T[8])(env, data, length, options, &session));
        return session;
    }

    /// <summary>
    /// #9 Run(OrtSession*, const OrtRunOptions*, const char* const* input_names, const OrtValue* const* inputs,
    /// size_t input_len, const char* const* output_names, size_t output_len, OrtValue** outputs)
    /// </summary>
    public static void Run(
        nint session, nint runOptions, nint* inputNames, nint* inputs, nuint inputCount, nint* outputNames, nuint outputCount, nint* outputs) =>
        OrtStatus.Check(((delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)T[9])(
            session, runOptions, inputNames, inputs, inputCount, outputNames, outputCount, outputs));

    /// <summary>#30 SessionGetInputCount / #31 SessionGetOutputCount</summary>
    public static int SessionGetCount(nint session, bool outputs)
    {
        nuint count;
        OrtStatus.Check(((delegate* unmanaged<nint, nuint*, nint>)T[outputs ? 31 : 30])(session, &count));
        return checked((int)count);
    }

    /// <summary>#33 SessionGetInputTypeInfo / #34 SessionGetOutputTypeInfo; release with #98.</summary>
    public static nint SessionGetTypeInfo(nint session, int index, bool output)
    {
        nint typeInfo;
        OrtStatus.Check(((delegate* unmanaged<nint, nuint, nint*, nint>)T[output ? 34 : 33])(session, (nuint)index, &typeInfo));
        return typeInfo;
    }

    /// <summary>#36 SessionGetInputName / #37 SessionGetOutputName; the name is freed with #76 on the default allocator.</summary>
    public static string SessionGetName(nint session, int index, bool output)
    {
        nint allocator = GetAllocatorWithDefaultOptions();
        byte* name;
        OrtStatus.Check(((delegate* unmanaged<nint, nuint, nint, byte**, nint>)T[output ? 37 : 36])(session, (nuint)index, allocator, &name));
        try
        {
            return Utf8.ToString(name);
        }
        finally
        {
            AllocatorFree(allocator, name);
        }
    }

    /// <summary>#39 CreateRunOptions(OrtRunOptions** out)</summary>
    public static nint CreateRunOptions()
    {
        nint options;
        OrtStatus.Check(((delegate* unmanaged<nint*, nint>)T[39])(&options));
        return options;
    }

    /// <summary>#42 RunOptionsSetRunTag(OrtRunOptions*, const char*)</summary>
    public static void RunOptionsSetRunTag(nint options, byte* tag) =>
        OrtStatus.Check(((delegate* unmanaged<nint, byte*, nint>)T[42])(options, tag));

    /// <summary>#46 RunOptionsSetTerminate / #47 RunOptionsUnsetTerminate</summary>
    public static void RunOptionsSetTerminate(nint options, bool terminate) =>
        OrtStatus.Check(((delegate* unmanaged<nint, nint>)T[terminate ? 46 : 47])(options));
}
