using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Model;

/// <summary>
/// What a block reads: the residual stream [B, T, dModel] of the block before, or for block 0 a table of its possible
/// inputs, one row per (position, token) (W_E, plus W_pos per position where the preset has it), with the batch's row
/// indices. Block 0 then projects the table's few rows ((P+1)·T at most) instead of every sequence's, and gathers.
/// </summary>
internal sealed class BlockInput
{
    private readonly Tensor? _residual;
    private readonly Tensor? _table;
    private readonly TokenBatch _batch;

    private BlockInput(Tensor? residual, Tensor? table, TokenBatch batch)
    {
        _residual = residual;
        _table = table;
        _batch = batch;
    }

    public static BlockInput FromTable(Tensor table, TokenBatch batch) => new(null, table, batch);

    public static BlockInput FromResidual(Tensor residual, TokenBatch batch) => new(residual, null, batch);

    private long B => _batch.Batch;
    private long T => _batch.Positions;

    /// <summary>
    /// The input after its hook point (hook_resid_pre): this input when the hook point hands back what it was given, so
    /// block 0 keeps its table when nothing writes there; otherwise the value it handed back, as a residual stream.
    /// </summary>
    public BlockInput Hooked(HookPoints hooks, string hook)
    {
        var all = All();
        var value = hooks.At(hook, all);
        return ReferenceEquals(value, all) ? this : FromResidual(value, _batch);
    }

    /// <summary>[B, T, dModel]</summary>
    public Tensor All() => _residual ?? Gather(_table!, _batch.TableRows).view(B, T, -1);

    /// <summary>[B, T − offset, dModel]: positions offset.. of the input (block 0 only supports 0 and the last).</summary>
    public Tensor From(long offset) =>
        offset == 0 ? All()
        : _residual is not null ? _residual.narrow(1, offset, T - offset)
        : Gather(_table!, LastRows(offset)).view(B, 1, -1);

    /// <summary>The input at every position times <paramref name="weight"/> [dModel, n]: [B, T, n].</summary>
    public Tensor ProjectAll(Tensor weight) =>
        _residual is not null
            ? _residual.reshape(B * T, -1).mm(weight).view(B, T, -1)
            : Gather(_table!.mm(weight), _batch.TableRows).view(B, T, -1);

    /// <summary>Positions offset.. times <paramref name="weight"/>: [B, T − offset, n].</summary>
    public Tensor ProjectFrom(Tensor weight, long offset) =>
        offset == 0 ? ProjectAll(weight)
        : _residual is not null ? _residual.narrow(1, offset, T - offset).reshape(B * (T - offset), -1).mm(weight).view(B, T - offset, -1)
        : Gather(_table!.mm(weight), LastRows(offset)).view(B, 1, -1);

    private Tensor LastRows(long offset) =>
        offset == T - 1
            ? _batch.LastTableRows
            : throw new NotSupportedException("Block 0 reads its queries at every position or at the last one only.");

    private static Tensor Gather(Tensor table, Tensor rows) => table.index_select(0, rows.view(-1));
}
