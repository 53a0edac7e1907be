using BitOnnx.Core;

namespace BitOnnx.Analysis;

/// <summary>
/// Inputs of an analysis that do not fit together: a run folder of another model, checkpoints of another modulus, an
/// embedded-input model of another P. The message names both sides and what to give instead.
/// </summary>
public sealed class AnalysisInputException(string message) : BitOnnxException(message);
