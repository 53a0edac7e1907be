using System.Buffers;
using System.Runtime.InteropServices;

namespace BitOnnx.Runtime.Native;

/// <summary>
/// A SafeHandle over one ORT object: released exactly once, never while a native call holds a reference
/// (callers use DangerousAddRef/DangerousRelease around calls), and by the finalizer if never disposed.
/// </summary>
internal abstract class OrtHandle : SafeHandle
{
    protected OrtHandle() : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    public void Attach(nint native) => SetHandle(native);
}

internal sealed class OrtSessionOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseSessionOptions(handle);
        return true;
    }
}

internal sealed class OrtRunOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseRunOptions(handle);
        return true;
    }
}

internal sealed class OrtMemoryInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseMemoryInfo(handle);
        return true;
    }
}

/// <summary>
/// A session together with the UTF-8 copies of its input and output names that every Run passes to ORT;
/// both go away together, after the last Run holding a reference has returned.
/// </summary>
internal sealed class OrtSessionHandle : OrtHandle
{
    private nint[] nativeNames = [];

    public void OwnNames(nint[] names) => nativeNames = names;

    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseSession(handle);
        foreach (nint name in nativeNames) Utf8.Free(name);
        nativeNames = [];
        return true;
    }
}

/// <summary>An OrtValue, and the pin on managed memory it may point into (released after the value).</summary>
internal sealed class OrtValueHandle : OrtHandle
{
    private MemoryHandle pin;

    public void OwnPin(MemoryHandle memoryPin) => pin = memoryPin;

    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseValue(handle);
        pin.Dispose();
        pin = default;
        return true;
    }
}
