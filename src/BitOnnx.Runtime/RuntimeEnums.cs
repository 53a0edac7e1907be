namespace BitOnnx.Runtime;

/// <summary>Kinds of ONNX values (ONNXType), named as in Microsoft.ML.OnnxRuntime.</summary>
public enum OnnxValueType
{
    ONNX_TYPE_UNKNOWN = 0,
    ONNX_TYPE_TENSOR = 1,
    ONNX_TYPE_SEQUENCE = 2,
    ONNX_TYPE_MAP = 3,
    ONNX_TYPE_OPAQUE = 4,
    ONNX_TYPE_SPARSETENSOR = 5,
    ONNX_TYPE_OPTIONAL = 6,
}

/// <summary>Graph optimization levels, named as in Microsoft.ML.OnnxRuntime (values as in the C API).</summary>
public enum GraphOptimizationLevel
{
    ORT_DISABLE_ALL = 0,
    ORT_ENABLE_BASIC = 1,
    ORT_ENABLE_EXTENDED = 2,
    ORT_ENABLE_LAYOUT = 3,
    ORT_ENABLE_ALL = 99,
}

/// <summary>Whether a session runs independent nodes one after another or in parallel.</summary>
public enum ExecutionMode
{
    ORT_SEQUENTIAL = 0,
    ORT_PARALLEL = 1,
}
