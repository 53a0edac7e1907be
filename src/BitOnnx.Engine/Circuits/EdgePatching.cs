using BitOnnx.Core.Circuits;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;
using BitOnnx.Engine.Model;

namespace BitOnnx.Engine.Circuits;

/// <summary>
/// Edge patching on the engine for one batch of rows: the clean run, what each sender of the model's
/// <see cref="CircuitGraph"/> writes in it and in the corrupted input, and runs (<see cref="NewRun"/>) in which each
/// receiver's input is the sum of its senders' outputs, each clean or corrupted as its edge's mask says
/// (<see cref="EdgePatchedRun"/>). Corrupted is the run on other rows (resample: row r takes the tokens of a seeded
/// other row, <see cref="HookWrites.OtherRows"/>) or every sender's mean over the rows (mean ablation).
/// </summary>
public sealed class EdgePatching : IEdgePatching
{
    /// <param name="model">The model; its weights are used as they are (an export's folded weights: quantization none).</param>
    /// <param name="tokens">[rows, nCtx] token rows, [a, b, =] each.</param>
    /// <param name="seed">Seed of the resample's draw of other rows.</param>
    /// <param name="mlpGroups">Each MLP split into this many groups of neurons, each its own sender and receiver (<see cref="CircuitGraph.Of(TransformerConfig, int)"/>).</param>
    public EdgePatching(HookedModel model, int[] tokens, Corruption corruption, long seed = 0, int mlpGroups = 1)
        : this(model, tokens, corruption, MlpPartition.Contiguous(model.Config.DMlp, mlpGroups), seed)
    {
    }

    /// <param name="model">The model; its weights are used as they are (an export's folded weights: quantization none).</param>
    /// <param name="tokens">[rows, nCtx] token rows, [a, b, =] each.</param>
    /// <param name="partition">The groups each MLP's neurons are split into, each its own sender and receiver (<see cref="CircuitGraph.Of(TransformerConfig, MlpPartition)"/>).</param>
    /// <param name="seed">Seed of the resample's draw of other rows.</param>
    public EdgePatching(HookedModel model, int[] tokens, Corruption corruption, MlpPartition partition, long seed = 0)
    {
        Model = model;
        Config = model.Config;
        Graph = CircuitGraph.Of(Config, partition);
        var post = Graph.MlpGroups > 1;
        Tokens = tokens;
        Corruption = corruption;
        Seed = seed;
        Clean = model.Run(tokens);
        CleanValues = SenderValues.Of(Clean, Config, post);
        if (corruption == Corruption.Resample)
        {
            var sources = HookWrites.OtherRows(Rows, seed);
            var corrupt = new int[tokens.Length];
            for (var r = 0; r < Rows; r++) tokens.AsSpan(sources[r] * Config.NCtx, Config.NCtx).CopyTo(corrupt.AsSpan(r * Config.NCtx));
            CorruptTokens = corrupt;
            CorruptValues = SenderValues.Of(model.Run(corrupt), Config, post);
        }
        else
        {
            CorruptValues = CleanValues.Means(Config, Rows);
        }
        Weights = new HeadWeights(model.Weights, Graph);
    }

    public HookedModel Model { get; }
    public TransformerConfig Config { get; }
    public CircuitGraph Graph { get; }
    public Corruption Corruption { get; }

    /// <summary>The seed of the resample's draw (unused by mean ablation).</summary>
    public long Seed { get; }

    /// <summary>[rows, nCtx]</summary>
    public int[] Tokens { get; }
    public int Rows => Clean.Rows;

    /// <summary>The resample's corrupted tokens [rows, nCtx] (each row another row's); null for mean ablation.</summary>
    public int[]? CorruptTokens { get; }

    /// <summary>The clean run, every hook.</summary>
    public HookedRun Clean { get; }

    /// <summary>Each row's right answer, (a + b) mod P.</summary>
    public int[] Targets => Enumerable.Range(0, Rows).Select(r => (Tokens[r * Config.NCtx] + Tokens[r * Config.NCtx + 1]) % Config.P).ToArray();

    internal SenderValues CleanValues { get; }
    internal SenderValues CorruptValues { get; }
    internal HeadWeights Weights { get; }
    internal int Threads => Model.Threads;

    /// <summary>The metric on these rows: the KL divergence from the clean run's output, or the cross-entropy of the right answer.</summary>
    public LogitMetric Metric(CircuitMetric metric) => metric == CircuitMetric.KlDivergence
        ? LogitMetric.KlDivergence(Clean.Logits, Config.DVocabOut)
        : LogitMetric.CrossEntropy(Targets, Config.DVocabOut);

    /// <summary>A run with every edge's mask at <paramref name="alpha"/> (0 clean, 1 corrupted).</summary>
    public EdgePatchedRun NewRun(float alpha = 0) => new(this, alpha);

    IEdgePatchedRun IEdgePatching.NewRun(float alpha) => NewRun(alpha);

    /// <summary>The metric with the edges <paramref name="kept"/> clean and every other edge corrupted.</summary>
    public double MetricOfCircuit(LogitMetric metric, IReadOnlyCollection<CircuitEdge> kept) => EdgePatchingExtensions.MetricOfCircuit(this, metric, kept);
}

/// <summary>
/// The weights a circuit's nodes multiply by, one head at a time: per block and head W_Q, W_K, W_V as [dModel, dHead]
/// (the head's columns of the engine's [dModel, heads·dHead]); W_O, MLP and unembed as the engine lays them out. A
/// product gives each element the same fused chain in k order whatever the other columns (<see cref="Kernels.Gemm"/>),
/// so a head's columns come out as they do in the whole model's product.
/// </summary>
internal sealed class HeadWeights
{
    public HeadWeights(EffectiveWeights weights, CircuitGraph graph)
    {
        var c = weights.Config;
        All = weights;
        float[][] PerHead(float[] inward) => Enumerable.Range(0, c.NHeads)
            .Select(h => SenderValues.Columns(inward, c.AttentionWidth, h * c.DHead, c.DHead, 1, 0)).ToArray();
        Query = weights.Blocks.Select(b => PerHead(b.Query)).ToArray();
        Key = weights.Blocks.Select(b => PerHead(b.Key)).ToArray();
        Value = weights.Blocks.Select(b => PerHead(b.Value)).ToArray();
        MlpIn = weights.Blocks.Select(b => Enumerable.Range(0, graph.MlpGroups)
            .Select(g => SenderValues.Columns(b.MlpIn, c.DMlp, graph.MlpNeurons(graph.MlpGroups == 1 ? null : g), 1, 0)).ToArray()).ToArray();
    }

    /// <summary>[block][group] each MLP group's columns of W_in [dModel, neurons of the group] in ascending neuron order; one group: all of W_in.</summary>
    public float[][][] MlpIn { get; }

    public EffectiveWeights All { get; }

    /// <summary>[block][head] [dModel, dHead]</summary>
    public float[][][] Query { get; }

    /// <inheritdoc cref="Query"/>
    public float[][][] Key { get; }

    /// <inheritdoc cref="Query"/>
    public float[][][] Value { get; }
}
