using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BitOnnx.Analysis.Interventions;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Pipelines.Interventions;
using BitOnnx.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Benchmarks;

/// <summary>
/// Interventions on the shipped li2024 ternary model (P = 113, d_mlp 512) over all 12,769 pairs on 2 threads:
/// the 512-neuron mean-ablation table the way TransformerLens' generic patching builds it (one run per neuron), as
/// stacked variants (many neurons per ONNX Runtime call), and by the rank-1 shortcut (budget: 2 s); exact activation
/// patching of all 533 nodes against attribution patching of the same nodes (one clean pass, one corrupted pass, one
/// backward on the engine). The setup prints attribution's correlation with exact patching.
/// Run: dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter '*InterventionBenchmarks*'
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MedianColumn, MinColumn, MaxColumn]
public class InterventionBenchmarks
{
    private const int Threads = 2;
    private ModelSession _session = null!;
    private OnnxModel _onnx = null!;
    private Func<string, float[]> _weight = null!;
    private EngineHookGradients _gradients = null!;
    private PatchingPairs _pairs = null!;
    private ModelSession _plain = null!;
    private InferenceSession _rawPlain = null!;
    private InferenceSession _rawWritable = null!;
    private long[] _tokens = null!;
    private IReadOnlyList<IReadOnlyList<HookWrite>> _oneNeuronWrites = null!;

    [GlobalSetup]
    public void Setup()
    {
        var checkpoint = ModelCheckpoint.Load(Path.Combine(RepositoryRoot.Path, "models", "li2024-ternary", "model.safetensors"));
        _onnx = TransformerExporter.Export(checkpoint, new ExportOptions { Probes = HookSelection.Every, Writable = HookSelection.Every }).Model;
        _session = ModelSession.FromModel(_onnx, "li2024-ternary", new ModelSessionOptions { Threads = Threads });
        var weights = new OnnxWeightSource(_onnx);
        _weight = name => weights.TryGet(name, out var t) ? t.Data : throw new InvalidOperationException(name);
        _gradients = EngineHookGradients.FromOnnx(_onnx, _session.Metadata, "li2024-ternary", Threads);
        _pairs = PatchingPairs.All(113, PartnerRule.Random);
        var plain = TransformerExporter.Export(checkpoint, new ExportOptions { Probes = HookSelection.Every }).Model;
        _plain = ModelSession.FromModel(plain, "li2024-ternary-plain", new ModelSessionOptions { Threads = Threads });
        var options = new ModelSessionOptions { Threads = Threads };
        _rawPlain = new InferenceSession(plain.ToBytes(), SessionDefaults.Create(options));
        _rawWritable = new InferenceSession(_onnx.ToBytes(), SessionDefaults.Create(options));
        _tokens = ModelSession.GridTokens(113);
        // The 512 single-neuron mean ablations, sharing one array of clean means.
        var all = _session.Resolve(_tokens, [Intervention.Mean(HookNames.MlpPost(0))]).Single();
        _oneNeuronWrites = Enumerable.Range(0, 512)
            .Select(n => (IReadOnlyList<HookWrite>)[new HookWrite(all.Layout, all.Layout.Mask(new HookIndex(Neuron: n)), all.Values)]).ToList();
        var table = ActivationPatching.Run(_session, _pairs, PatchingMetric.LogitDifference, Enum.GetValues<PatchingTarget>(), _weight, _gradients);
        var z = table.Rows.Where(r => r.Node.Target != PatchingTarget.Neurons).ToList();
        Console.WriteLine($"// attribution vs exact patching, Pearson r: all {table.Rows.Count} nodes {table.Correlation:F3}; " +
            $"the {z.Count} non-neuron nodes {Pearson(z.Select(r => r.Effect), z.Select(r => r.Attribution!.Value)):F3}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _plain.Dispose();
        _rawPlain.Dispose();
        _rawWritable.Dispose();
    }

    /// <summary>Every pair's logits from the export without writable hooks (the baseline of the next two).</summary>
    [Benchmark(Baseline = true)]
    public float CleanRunPlainExport() => _plain.Run(_tokens)[HookNames.Logits].Data[0];

    /// <summary>The same from the writable export through ModelSession, which runs clean work on the stripped graph.</summary>
    [Benchmark]
    public float CleanRunWritableExport() => _session.Run(_tokens)[HookNames.Logits].Data[0];

    /// <summary>The writable file as a plain ONNX Runtime user runs it (no feeds for the writes: every Where selects H), against the plain file the same way.</summary>
    [Benchmark]
    public float CleanRunWritableFileRawOrt() => RawLogits(_rawWritable);

    [Benchmark]
    public float CleanRunPlainFileRawOrt() => RawLogits(_rawPlain);

    private float RawLogits(InferenceSession session)
    {
        using var tokens = OrtValue.CreateTensorValueFromMemory(_tokens, [_tokens.Length / 3, 3]);
        using var outputs = session.Run(new RunOptions(), [ModelContract.Tokens], [tokens], [HookNames.Logits]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    /// <summary>
    /// One ONNX Runtime run over all pairs per neuron, each with that neuron mean-ablated: TransformerLens'
    /// generic_activation_patch, with the clean means computed once (in the setup), as its cache is.
    /// </summary>
    [Benchmark]
    public double NeuronTableOneRunPerNeuron()
    {
        var sum = 0.0;
        foreach (var writes in _oneNeuronWrites) sum += _session.Run(_tokens, writes, [HookNames.Logits])[HookNames.Logits].Data[0];
        return sum;
    }

    /// <summary>The same 512 variants stacked along the batch, many per ONNX Runtime call.</summary>
    [Benchmark]
    public AblationResult NeuronTableStacked() => AblationTable.Run(_session, [AblationTarget.Neurons], InterventionKind.Mean);

    /// <summary>What bitonnx ablate --what neurons runs: every neuron at once by its rank-1 change to the last position.</summary>
    [Benchmark]
    public AblationResult NeuronTableRankOne() => AblationTable.Run(_session, [AblationTarget.Neurons], InterventionKind.Mean, _weight);

    /// <summary>Exact activation patching of every node (resid_pre, attn_out, mlp_out, z, neurons), no attribution.</summary>
    [Benchmark]
    public PatchingResult ExactPatchingEveryNode() =>
        ActivationPatching.Run(_session, _pairs, PatchingMetric.LogitDifference, Enum.GetValues<PatchingTarget>(), _weight);

    /// <summary>Attribution patching of every node: clean and corrupted activations and one backward, on the engine.</summary>
    [Benchmark]
    public int AttributionPatchingEveryNode()
    {
        var hooks = new[] { HookNames.ResidPre(0), HookNames.AttnOut(0), HookNames.MlpOut(0), HookNames.Z(0), HookNames.MlpPost(0) };
        var metric = ActivationPatching.Metric(PatchingMetric.LogitDifference, _pairs, 113);
        var clean = _gradients.Run(_pairs.Tokens(corrupted: false), hooks, null);
        var corrupt = _gradients.Run(_pairs.Tokens(corrupted: true), hooks, metric);
        return clean.Activations.Count + corrupt.Gradients!.Count;
    }

    private static double Pearson(IEnumerable<double> xs, IEnumerable<double> ys)
    {
        double[] x = xs.ToArray(), y = ys.ToArray();
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
