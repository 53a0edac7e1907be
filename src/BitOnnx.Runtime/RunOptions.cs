using BitOnnx.Runtime.Native;

namespace BitOnnx.Runtime;

/// <summary>Per-call options for <see cref="InferenceSession.Run(RunOptions?, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>.</summary>
public sealed unsafe class RunOptions : IDisposable
{
    private readonly OrtRunOptionsHandle handle = new();
    private bool terminate;
    private string logId = string.Empty;

    public RunOptions()
    {
        handle.Attach(OrtApi.CreateRunOptions());
    }

    /// <summary>A tag that ORT puts on this run's log lines.</summary>
    public string LogId
    {
        get => logId;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            fixed (byte* tag = Utf8.Bytes(value)) OrtApi.RunOptionsSetRunTag(Native, tag);
            logId = value;
        }
    }

    /// <summary>Set to true to make every Run using these options stop as soon as it can (it then throws).</summary>
    public bool Terminate
    {
        get => terminate;
        set
        {
            OrtApi.RunOptionsSetTerminate(Native, value);
            terminate = value;
        }
    }

    internal OrtRunOptionsHandle Handle => handle;

    private nint Native
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle.DangerousGetHandle();
        }
    }

    public void Dispose() => handle.Dispose();
}
