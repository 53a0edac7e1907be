using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BitOnnx.Analysis;
using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.Fourier;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Progress;
using BitOnnx.Analysis.Tests.Synthetic;
using BitOnnx.Core.Model;

namespace BitOnnx.Benchmarks;

/// <summary>
/// The analysis of one P = 113 model (d_model 128, 4 heads, d_mlp 512) over all 12,769 pairs, on synthetic probes
/// so that no ONNX inference is timed. Budget: under 10 s for <see cref="AnalyzeModel"/>.
/// Run: dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter '*AnalysisBenchmarks*'
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MedianColumn, MinColumn, MaxColumn, MemoryDiagnoser]
public class AnalysisBenchmarks
{
    private SyntheticFourierModel _model = null!;
    private InMemoryProbeSource _probes = null!;
    private InMemoryWeightSource _weights = null!;
    private float[] _neuronActivations = null!;
    private CheckpointInputs[] _checkpoint = null!;
    private int[] _train = null!;
    private readonly FourierBasis _basis = new(113);

    [GlobalSetup]
    public void Setup()
    {
        _model = new SyntheticFourierModel(new SyntheticModelSpec { P = 113, DModel = 128, NHeads = 4, DMlp = 512, Noise = 0.1 });
        _probes = _model.Probes();
        _weights = _model.Weights();
        _neuronActivations = ProbeViews.PositionSlice(_probes.Get(HookNames.MlpPost(0)), 113, ProbeViews.EqualsPosition);
        _checkpoint = [new CheckpointInputs(10000, _probes, _weights)];
        _train = SyntheticTraining.TrainRows(113, 0.3, 0);
    }

    /// <summary>Everything the report shows for one model except gradient symmetricity (which runs the ONNX model).</summary>
    [Benchmark]
    public ModelAnalysis AnalyzeModel() => ModelAnalyzer.Analyze(new ModelInputs("bench", _probes, _weights));

    /// <summary>The dominant kernel: 512 neuron maps through F·A·Fᵀ, FVE and clusters.</summary>
    [Benchmark]
    public NeuronFourierResult NeuronFourier() =>
        NeuronFourierAnalysis.Analyze(_basis, _neuronActivations, 512, [0, 1, 2, 3], new KeyFrequencyOptions());

    /// <summary>Progress measures of one checkpoint (a training run has one such step per checkpoint).</summary>
    [Benchmark]
    public ProgressSeries ProgressMeasuresOneCheckpoint() => ProgressMeasures.Compute(_checkpoint, _train, [17, 25, 32, 47]);
}
