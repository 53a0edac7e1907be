namespace BitOnnx.Runtime.Native;

internal static unsafe partial class OrtApi
{
    /// <summary>#48 CreateTensorAsOrtValue(OrtAllocator*, const int64_t* shape, size_t rank, ONNXTensorElementDataType, OrtValue** out)</summary>
    public static nint CreateTensorAsOrtValue(nint allocator, long* shape, nuint rank, int elementType)
    {
        nint value;
        OrtStatus.Check(((delegate* unmanaged<nint, long*, nuint, int, nint*, nint>)T[48])(allocator, shape, rank, elementType, &value));
        return value;
    }

    /// <summary>
    /// #49 CreateTensorWithDataAsOrtValue(const OrtMemoryInfo*, void* data, size_t bytes, const int64_t* shape, size_t rank,
    /// ONNXTensorElementDataType, OrtValue** out). The caller keeps ownership of (and must keep pinned) the data.
    /// </summary>
    public static nint CreateTensorWithDataAsOrtValue(nint memoryInfo, void* data, nuint byteCount, long* shape, nuint rank, int elementType)
    {
        nint value;
        OrtStatus.Check(((delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint>)T[49])(
            memoryInfo, data, byteCount, shape, rank, elementType, &value));
        return value;
    }

    /// <summary>#51 GetTensorMutableData(OrtValue*, void** out)</summary>
    public static void* GetTensorMutableData(nint value)
    {
        void* data;
        OrtStatus.Check(((delegate* unmanaged<nint, void**, nint>)T[51])(value, &data));
        return data;
    }

    /// <summary>#55 CastTypeInfoToTensorInfo(const OrtTypeInfo*, const OrtTensorTypeAndShapeInfo** out); NULL for non-tensors; not owned.</summary>
    public static nint CastTypeInfoToTensorInfo(nint typeInfo)
    {
        nint tensorInfo;
        OrtStatus.Check(((delegate* unmanaged<nint, nint*, nint>)T[55])(typeInfo, &tensorInfo));
        return tensorInfo;
    }

    /// <summary>#56 GetOnnxTypeFromTypeInfo(const OrtTypeInfo*, ONNXType* out)</summary>
    public static int GetOnnxTypeFromTypeInfo(nint typeInfo)
    {
        int type;
        OrtStatus.Check(((delegate* unmanaged<nint, int*, nint>)T[56])(typeInfo, &type));
        return type;
    }

    /// <summary>#60 GetTensorElementType(const OrtTensorTypeAndShapeInfo*, ONNXTensorElementDataType* out)</summary>
    public static int GetTensorElementType(nint tensorInfo)
    {
        int type;
        OrtStatus.Check(((delegate* unmanaged<nint, int*, nint>)T[60])(tensorInfo, &type));
        return type;
    }

    /// <summary>#61 GetDimensionsCount and #62 GetDimensions</summary>
    public static long[] GetDimensions(nint tensorInfo)
    {
        nuint rank;
        OrtStatus.Check(((delegate* unmanaged<nint, nuint*, nint>)T[61])(tensorInfo, &rank));
        var dims = new long[(int)rank];
        fixed (long* p = dims)
        {
            OrtStatus.Check(((delegate* unmanaged<nint, long*, nuint, nint>)T[62])(tensorInfo, p, rank));
        }

        return dims;
    }

    /// <summary>#63 GetSymbolicDimensions(const OrtTensorTypeAndShapeInfo*, const char* dim_params[], size_t n); "" for fixed dims.</summary>
    public static string[] GetSymbolicDimensions(nint tensorInfo, int rank)
    {
        var names = new string[rank];
        if (rank == 0) return names;
        var pointers = new nint[rank];
        fixed (nint* p = pointers)
        {
            OrtStatus.Check(((delegate* unmanaged<nint, nint*, nuint, nint>)T[63])(tensorInfo, p, (nuint)rank));
        }

        for (int i = 0; i < rank; i++) names[i] = Utf8.ToString((byte*)pointers[i]);
        return names;
    }

    /// <summary>#65 GetTensorTypeAndShape(const OrtValue*, OrtTensorTypeAndShapeInfo** out); release with #99.</summary>
    public static nint GetTensorTypeAndShape(nint value)
    {
        nint info;
        OrtStatus.Check(((delegate* unmanaged<nint, nint*, nint>)T[65])(value, &info));
        return info;
    }

    /// <summary>#67 GetValueType(const OrtValue*, ONNXType* out)</summary>
    public static int GetValueType(nint value)
    {
        int type;
        OrtStatus.Check(((delegate* unmanaged<nint, int*, nint>)T[67])(value, &type));
        return type;
    }
}
