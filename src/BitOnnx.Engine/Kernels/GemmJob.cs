namespace BitOnnx.Engine.Kernels;

/// <summary>
/// One product in flight: pinned operand addresses, its shape, how it is split, the counter of the next
/// unclaimed row when parts share row blocks, and what to do with each finished tile. The caller keeps all of them
/// alive and pinned until every part has finished, so the workers may use these addresses.
/// </summary>
internal readonly unsafe struct GemmJob(float* a, float* b, float* c, GemmShape shape, GemmPartition partition, int* nextRow,
    GemmEpilogue epilogue)
{
    public readonly float* A = a;
    public readonly float* B = b;
    public readonly float* C = c;
    public readonly GemmShape Shape = shape;
    public readonly GemmPartition Partition = partition;
    public readonly int* NextRow = nextRow;
    public readonly GemmEpilogue Epilogue = epilogue;

    /// <summary>Claims the next shared row block and returns its first row (M or more when none is left).</summary>
    public int ClaimRows() => Interlocked.Add(ref *NextRow, Partition.SharedRowBlock) - Partition.SharedRowBlock;
}
