using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Model;

/// <summary>
/// A batch of sequences as TorchSharp tensors, made once per data set: Tokens [B, T] int64, Targets [B] int64, and the
/// rows of block 0's input table (<see cref="TorchTransformer"/>: one row per position and token) for every position,
/// TableRows [B, T], and for the last position only, LastTableRows [B].
/// </summary>
public sealed class TokenBatch : IDisposable
{
    public TokenBatch(TransformerConfig config, int[] tokens, int[] targets)
    {
        Batch = targets.Length;
        Positions = config.NCtx;
        if (tokens.Length != Batch * Positions) throw new ArgumentException($"{tokens.Length} tokens do not make {Batch} sequences of {Positions}.");
        var tableRows = new long[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
            tableRows[i] = config.PositionalEmbedding ? (long)(i % Positions) * config.DVocab + tokens[i] : tokens[i];
        // The batch outlives any dispose scope it is made in.
        Tokens = torch.tensor(Array.ConvertAll(tokens, t => (long)t), [Batch, Positions]).DetachFromDisposeScope();
        Targets = torch.tensor(Array.ConvertAll(targets, t => (long)t), [(long)Batch]).DetachFromDisposeScope();
        TableRows = torch.tensor(tableRows, [Batch, Positions]).DetachFromDisposeScope();
        using var lastColumn = TableRows[.., -1];
        LastTableRows = lastColumn.contiguous().DetachFromDisposeScope();
    }

    /// <summary>The rows of a data split, as the engine's workspaces read them.</summary>
    public static TokenBatch For(TransformerConfig config, IReadOnlyList<int> rows) =>
        new(config, ModularAdditionData.Tokens(config.P, rows), ModularAdditionData.Targets(config.P, rows));

    public int Batch { get; }
    public int Positions { get; }
    public Tensor Tokens { get; }
    public Tensor Targets { get; }
    public Tensor TableRows { get; }
    public Tensor LastTableRows { get; }

    public void Dispose()
    {
        Tokens.Dispose();
        Targets.Dispose();
        TableRows.Dispose();
        LastTableRows.Dispose();
    }
}
