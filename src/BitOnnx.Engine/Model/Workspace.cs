using BitOnnx.Core.Model;
namespace BitOnnx.Engine.Model;

/// <summary>
/// Activations of one block for a batch, and (for training) their gradients. Queries are kept only at positions
/// QueryOffset.. of the context: in the last block of a training pass that is just the last position (see
/// <see cref="Workspace"/>). Shapes use B = batch, Tq = query positions, T = context, W = heads·dHead.
/// </summary>
public sealed class BlockActivations
{
    /// <param name="readsTables">
    /// Block 0, which reads its keys and values from the workspace's tables and sums its input's gradient into them:
    /// it keeps no K, V or DResidQuery of its own.
    /// </param>
    public BlockActivations(TransformerConfig c, int batch, int queryPositions, bool withGradients, bool readsTables = false)
    {
        QueryPositions = queryPositions;
        QueryOffset = c.NCtx - queryPositions;
        int rowsQ = batch * queryPositions, rows = batch * c.NCtx;
        float[] A(int n) => new float[n];
        ResidQuery = A(rowsQ * c.DModel);
        Q = A(rowsQ * c.AttentionWidth);
        K = readsTables ? [] : A(rows * c.AttentionWidth);
        V = readsTables ? [] : A(rows * c.AttentionWidth);
        Scores = A(batch * c.NHeads * queryPositions * c.NCtx);
        Pattern = A(Scores.Length);
        Z = A(rowsQ * c.AttentionWidth);
        AttnOut = A(rowsQ * c.DModel);
        ResidMid = A(rowsQ * c.DModel);
        Post = A(rowsQ * c.DMlp);
        Pre = withGradients ? [] : A(Post.Length);
        MlpOut = A(rowsQ * c.DModel);
        ResidPost = A(rowsQ * c.DModel);
        if (!withGradients) return;
        DResidPost = A(ResidPost.Length);
        DResidMid = A(ResidMid.Length);
        DResidQuery = readsTables ? [] : A(ResidQuery.Length);
        DHidden = A(Post.Length);
        DZ = A(Z.Length);
        DQ = A(Q.Length);
        DK = A(rows * c.AttentionWidth);
        DV = A(rows * c.AttentionWidth);
    }

    public int QueryPositions { get; }
    public int QueryOffset { get; }

    /// <summary>[B, Tq, dModel]: the block's input at the query positions (the residual stream it adds to).</summary>
    public float[] ResidQuery { get; }
    /// <summary>[B, Tq, W]</summary>
    public float[] Q { get; }
    /// <summary>[B, T, W]; empty in block 0, whose keys are rows of <see cref="Workspace.KeyTable"/>.</summary>
    public float[] K { get; }
    /// <summary>[B, T, W]; empty in block 0, whose values are rows of <see cref="Workspace.ValueTable"/>.</summary>
    public float[] V { get; }
    /// <summary>[B, heads, Tq, T]</summary>
    public float[] Scores { get; }
    /// <summary>[B, heads, Tq, T]</summary>
    public float[] Pattern { get; }
    /// <summary>[B, Tq, W]</summary>
    public float[] Z { get; }
    /// <summary>[B, Tq, dModel]</summary>
    public float[] AttnOut { get; }
    /// <summary>[B, Tq, dModel]</summary>
    public float[] ResidMid { get; }
    /// <summary>
    /// [B, Tq, dMlp], the MLP's hidden layer before the ReLU; empty in a workspace with gradients, whose forward pass
    /// applies the ReLU as the product is written (its backward masks by Post, which is positive where Pre is).
    /// </summary>
    public float[] Pre { get; }
    /// <summary>[B, Tq, dMlp]</summary>
    public float[] Post { get; }
    /// <summary>[B, Tq, dModel]</summary>
    public float[] MlpOut { get; }
    /// <summary>[B, Tq, dModel]</summary>
    public float[] ResidPost { get; }

    public float[] DResidPost { get; } = [];
    public float[] DResidMid { get; } = [];
    /// <summary>[B, Tq, dModel]; empty in block 0, whose input gradient is DResidMid itself.</summary>
    public float[] DResidQuery { get; } = [];
    public float[] DHidden { get; } = [];
    public float[] DZ { get; } = [];
    public float[] DQ { get; } = [];
    public float[] DK { get; } = [];
    public float[] DV { get; } = [];
}

/// <summary>
/// Everything a forward (and backward) pass over a fixed batch of sequences needs, allocated once and reused every epoch.
/// <para>With <c>lastPositionOnly</c>, the last block computes queries, attention output and MLP only at the last
/// position. That is exact: the loss reads only the last position's logits, the last block's other positions feed
/// nothing after it, and keys and values (which do read every position) are still computed everywhere.</para>
/// <para>Block 0's Q, K and V come from per-(position, token) tables: its input row is W_E[token] + W_pos[position], one
/// of nCtx·dVocab vectors, so projecting the table once and gathering rows is the same linear map as projecting every
/// row, at a fraction of the work. Gradients flow back the same way, summed per table row.</para>
/// </summary>
public sealed class Workspace
{
    public Workspace(TransformerConfig config, int[] tokens, int[] targets, bool lastPositionOnly, bool withGradients)
    {
        config.Validated();
        if (tokens.Length % config.NCtx != 0) throw new ArgumentException($"tokens length {tokens.Length} is not a multiple of n_ctx {config.NCtx}.");
        Batch = tokens.Length / config.NCtx;
        if (targets.Length != Batch) throw new ArgumentException($"{targets.Length} targets for {Batch} sequences.");
        foreach (var token in tokens)
            if ((uint)token >= (uint)config.DVocab) throw new ArgumentException($"token {token} is outside the vocabulary 0..{config.DVocab - 1}.");
        foreach (var target in targets)
            if ((uint)target >= (uint)config.DVocabOut) throw new ArgumentException($"target {target} is outside 0..{config.DVocabOut - 1}.");

        Config = config;
        Tokens = tokens;
        Targets = targets;
        WithGradients = withGradients;
        var tableRows = config.NCtx * config.DVocab;
        TokenTableRows = new int[tokens.Length];
        for (var i = 0; i < tokens.Length; i++) TokenTableRows[i] = TableRow(i % config.NCtx, tokens[i]);
        EmbedTable = new float[tableRows * config.DModel];
        QueryTable = new float[tableRows * config.AttentionWidth];
        KeyTable = new float[QueryTable.Length];
        ValueTable = new float[QueryTable.Length];
        QkvWeights = new float[config.DModel * 3 * config.AttentionWidth];
        QkvTable = new float[3 * QueryTable.Length];
        Blocks = new BlockActivations[config.NLayers];
        for (var l = 0; l < config.NLayers; l++)
        {
            var queryPositions = lastPositionOnly && l == config.NLayers - 1 ? 1 : config.NCtx;
            Blocks[l] = new BlockActivations(config, Batch, queryPositions, withGradients, readsTables: l == 0);
        }
        // With only the last position queried, the last block's output already has FinalIn's layout: use it as is.
        var last = Blocks[^1];
        FinalIn = last.QueryPositions == 1 ? last.ResidPost : new float[Batch * config.DModel];
        FinalOut = config.FinalNorm ? new float[Batch * config.DModel] : FinalIn;
        InverseNorm = new float[Batch];
        Logits = new float[Batch * config.DVocabOut];
        RowLoss = new double[Batch];
        RowCorrect = new bool[Batch];
        if (!withGradients) return;
        DEmbedTable = new float[EmbedTable.Length];
        DQueryTable = new float[QueryTable.Length];
        DKeyTable = new float[QueryTable.Length];
        DValueTable = new float[QueryTable.Length];
        DQkvTable = new float[QkvTable.Length];
        QkvGradient = new float[QkvWeights.Length];
        DFinalIn = last.QueryPositions == 1 ? last.DResidPost : new float[FinalIn.Length];
        DFinalOut = config.FinalNorm ? new float[FinalOut.Length] : DFinalIn;
        DLogits = new float[Logits.Length];
    }

    public TransformerConfig Config { get; }
    public int Batch { get; }
    /// <summary>[B, T]</summary>
    public int[] Tokens { get; }
    /// <summary>[B]</summary>
    public int[] Targets { get; }
    public bool WithGradients { get; }

    /// <summary>[T·dVocab, dModel]: row t·dVocab + token is W_E[token] + W_pos[t].</summary>
    public float[] EmbedTable { get; }
    /// <summary>[B, T]: the table row of each sample's token at each position (where block 0 finds its query, key, value and input).</summary>
    public int[] TokenTableRows { get; }
    /// <summary>[T·dVocab, W]: the embed table times block 0's W_Q, W_K, W_V.</summary>
    public float[] QueryTable { get; }
    public float[] KeyTable { get; }
    public float[] ValueTable { get; }
    /// <summary>[dModel, 3W]: block 0's W_Q, W_K and W_V side by side, so the three tables are one product.</summary>
    public float[] QkvWeights { get; }
    /// <summary>[T·dVocab, 3W]: that product, before it is split into the three tables.</summary>
    public float[] QkvTable { get; }
    public BlockActivations[] Blocks { get; }
    /// <summary>[B, dModel]: the last block's output at the last position (that block's ResidPost when it has one query position).</summary>
    public float[] FinalIn { get; }
    /// <summary>[B, dModel]: after the final norm (the same array as FinalIn when the config has none).</summary>
    public float[] FinalOut { get; }
    /// <summary>[B]</summary>
    public float[] InverseNorm { get; }
    /// <summary>[B, P]</summary>
    public float[] Logits { get; }
    public double[] RowLoss { get; }
    public bool[] RowCorrect { get; }

    public float[] DEmbedTable { get; } = [];
    public float[] DQueryTable { get; } = [];
    public float[] DKeyTable { get; } = [];
    public float[] DValueTable { get; } = [];
    /// <summary>[T·dVocab, 3W]: the three table gradients side by side.</summary>
    public float[] DQkvTable { get; } = [];
    /// <summary>[dModel, 3W]: block 0's W_Q, W_K and W_V gradients side by side, while the product adds into them.</summary>
    public float[] QkvGradient { get; } = [];
    /// <summary>[B, dModel]; the last block's DResidPost when it has one query position, as for FinalIn.</summary>
    public float[] DFinalIn { get; } = [];
    public float[] DFinalOut { get; } = [];
    public float[] DLogits { get; } = [];

    public int TableRow(int position, int token) => position * Config.DVocab + token;
}
