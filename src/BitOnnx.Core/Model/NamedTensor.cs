namespace BitOnnx.Core.Model;

/// <summary>A float32 tensor with its name and shape: a parameter in a checkpoint or an activation in a cache.</summary>
public sealed record NamedTensor(string Name, Shape Shape, float[] Data);
