namespace BitOnnx.Core.Kernels;

/// <summary>
/// One product in flight: pinned operand addresses, its shape and how it is split. The caller keeps the spans
/// pinned until every part has finished, so the workers may read these addresses.
/// </summary>
internal readonly unsafe struct GemmJob(float* a, float* b, float* c, GemmShape shape, GemmPartition partition)
{
    public readonly float* A = a;
    public readonly float* B = b;
    public readonly float* C = c;
    public readonly GemmShape Shape = shape;
    public readonly GemmPartition Partition = partition;
}
