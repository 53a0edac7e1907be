using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BitOnnx.Analysis;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.TestSupport;

namespace BitOnnx.Benchmarks;

/// <summary>
/// The full analysis of one P = 113 model at the default sizes (li2024, d_model 128, 4 heads, d_mlp 512) read through
/// ONNX: ONNX Runtime over all 12,769 pairs with the probes the analyses need, every analysis, and gradient
/// symmetricity by central differences through the float64 surgery graph (100 triples). Budget: under 10 s.
/// The weights are an untrained init: the work does not depend on their values.
/// Run: dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter '*OnnxAnalysisBenchmarks*'
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MedianColumn, MinColumn, MaxColumn]
public class OnnxAnalysisBenchmarks
{
    private string _model = null!;

    [GlobalSetup]
    public void Setup()
    {
        var config = TransformerConfig.Li2024;
        var checkpoint = TestCheckpoints.Untrained(config, seed: 0);
        _model = Path.Combine(Path.GetTempPath(), $"bitonnx-bench-{Guid.NewGuid():N}.onnx");
        TransformerExporter.Export(checkpoint, new ExportOptions { Probes = HookSelection.Every }).Model.Save(_model);
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_model);

    /// <summary>What <c>bitonnx analyze model.onnx</c> computes for one model (without writing the report).</summary>
    [Benchmark]
    public ModelAnalysis AnalyzeFromOnnx()
    {
        using var inputs = OnnxModelInputs.Open(new OnnxModelRequest(_model));
        return ModelAnalyzer.Analyze(inputs.Inputs);
    }

    /// <summary>The same without gradient symmetricity (the verdict then rests on distance irrelevance).</summary>
    [Benchmark]
    public ModelAnalysis AnalyzeFromOnnxWithoutGradients()
    {
        using var inputs = OnnxModelInputs.Open(new OnnxModelRequest(_model, Gradients: false));
        return ModelAnalyzer.Analyze(inputs.Inputs);
    }

    /// <summary>ONNX Runtime alone: all 12,769 pairs with the probes the analyses read.</summary>
    [Benchmark]
    public int ProbeAllPairs()
    {
        using var inputs = OnnxModelInputs.Open(new OnnxModelRequest(_model, Gradients: false));
        return inputs.Probes.Run().Count;
    }
}
