using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace BitOnnx.Runtime.Native;

/// <summary>Turns a returned OrtStatus* into an exception (NULL means success) and always releases it.</summary>
internal static unsafe class OrtStatus
{
    private const int GetErrorCodeSlot = 1;
    private const int GetErrorMessageSlot = 2;
    private const int ReleaseStatusSlot = 93;

    public static void Check(nint status)
    {
        if (status != 0) Throw(status);
    }

    /// <summary>Reads code and message of a non-NULL status, then releases it.</summary>
    public static (ErrorCode Code, string Message) Consume(nint status)
    {
        void** api = OrtLibrary.Table;
        try
        {
            int code = ((delegate* unmanaged<nint, int>)api[GetErrorCodeSlot])(status);
            byte* message = ((delegate* unmanaged<nint, byte*>)api[GetErrorMessageSlot])(status);
            return ((ErrorCode)code, Marshal.PtrToStringUTF8((nint)message) ?? string.Empty);
        }
        finally
        {
            ((delegate* unmanaged<nint, void>)api[ReleaseStatusSlot])(status);
        }
    }

    [DoesNotReturn]
    private static void Throw(nint status)
    {
        var (code, message) = Consume(status);
        throw new OnnxRuntimeException(code, message);
    }
}
