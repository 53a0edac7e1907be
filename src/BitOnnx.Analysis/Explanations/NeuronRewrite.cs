using System.Globalization;
using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Analysis.Explanations;

/// <summary>A model's mean cross-entropy at the last position and accuracy over all P² pairs, one way of running it.</summary>
public sealed record RewriteRow(string Name, double Loss, double Accuracy);

/// <summary>
/// The MLP rewritten from explanations against the model as it is and with its MLP deleted. <see cref="CeLossScore"/> is
/// SAELens' ce_loss_score, (L_zero − L_simulated) / (L_zero − L_clean): 1 when the rewrite loses nothing, 0 when it is no
/// better than zero-ablating the MLP.
/// </summary>
public sealed record NeuronRewriteResult(RewriteRow Clean, RewriteRow Simulated, RewriteRow ZeroAblated)
{
    public double CeLossScore => CeLossScoreOf(Clean.Loss, Simulated.Loss, ZeroAblated.Loss);

    /// <summary>(L_zero − L_spliced) / (L_zero − L_clean).</summary>
    public static double CeLossScoreOf(double clean, double spliced, double zero) => (zero - spliced) / (zero - clean);

    public IReadOnlyList<RewriteRow> Rows => [Clean, Simulated, ZeroAblated];

    /// <summary>The CSV's columns; ce_loss_score only on the simulated row.</summary>
    public const string CsvHeader = "run,loss,accuracy,ce_loss_score";

    /// <summary>The three runs as CSV (<see cref="CsvHeader"/>), numbers round-tripping.</summary>
    public string Csv() => CsvHeader + "\n" + string.Concat(Rows.Select(row => string.Create(CultureInfo.InvariantCulture,
        $"{row.Name},{row.Loss:R},{row.Accuracy:R},{(ReferenceEquals(row, Simulated) ? CeLossScore.ToString("R", CultureInfo.InvariantCulture) : "")}\n")));
}

/// <summary>
/// Paulo and Belrose's rewrite (2025, arXiv 2501.18838) at the level of neurons: every neuron of the last MLP at the last
/// position replaced by its simulation from its explanation (<see cref="UnitSimulator"/>), on ONNX Runtime through the
/// model's writable hooks, over all P² pairs; the other positions keep their values (in a one-layer model only the last
/// position reaches the logits). The baseline is the MLP's output zero-ablated (hook_mlp_out = 0 at every position),
/// as SAELens' ce_loss_score takes it.
/// </summary>
public static class NeuronRewrite
{
    /// <summary>Rewrites the MLP of the model's last block from <paramref name="explanations"/> (one per neuron, in order).</summary>
    public static NeuronRewriteResult Run(ModelSession session, IReadOnlyList<UnitExplanation> explanations, IProgress<double>? progress = null) =>
        Run(session, UnitSimulator.SimulateAll(explanations), progress);

    /// <summary>Rewrites with given activations of the last block's neurons at the last position, [P², d_mlp] (row a·P + b).</summary>
    public static NeuronRewriteResult Run(ModelSession session, float[] simulated, IProgress<double>? progress = null)
    {
        var config = session.Metadata.Config
            ?? throw new AnalysisInputException($"Model '{session.Name}' carries no bitonnx config; re-export it with bitonnx export --writable all --probes all.");
        int p = config.P, positions = config.NCtx, m = config.DMlp, layer = config.NLayers - 1, rows = p * p;
        if (simulated.Length != rows * m)
            throw new AnalysisInputException($"Model '{session.Name}' has {m} neurons over {rows} pairs; the rewrite got {simulated.Length} values, not {rows * m}.");
        var hook = HookNames.MlpPost(layer);
        if (!session.WritableHooks.Contains(hook) || !session.WritableHooks.Contains(HookNames.MlpOut(layer)))
            throw new AnalysisInputException($"Model '{session.Name}' cannot have its MLP rewritten: '{hook}' is not writable; re-export it with bitonnx export --writable all.");
        var values = new float[rows * positions * m];
        for (var r = 0; r < rows; r++) simulated.AsSpan(r * m, m).CopyTo(values.AsSpan((r * positions + positions - 1) * m, m));
        var tokens = ModelSession.GridTokens(p);
        var rewrite = session.Resolve(tokens, [new Intervention(hook, new HookIndex(Position: positions - 1), InterventionKind.Values) { Values = values }]);
        var zero = session.Resolve(tokens, [Intervention.Zero(HookNames.MlpOut(layer))]);
        var runs = session.Run(tokens, [[], rewrite, zero], [HookNames.Logits], progress);
        RewriteRow Row(string name, int variant)
        {
            var logits = runs[variant][HookNames.Logits].Data;
            var all = ModularAdditionData.AllRows(p);
            return new RewriteRow(name, ModularAdditionLoss.Mean(logits, p, all), ModularAdditionLoss.Accuracy(logits, p, all));
        }
        return new NeuronRewriteResult(Row("clean", 0), Row("simulated", 1), Row("zero-ablated MLP", 2));
    }
}
