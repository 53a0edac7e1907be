using BitOnnx.Analysis.Progress;
using BitOnnx.Analysis.Report;
using BitOnnx.Analysis.Tests.Synthetic;

namespace BitOnnx.Analysis.Tests;

/// <summary>
/// Reports built from synthetic models: a clean clock, a noisy clock ("binary-like"), a pizza (both borderline, near 98%), and a model drowned in
/// noise that has not learned the task (so no verdict or key frequency may be claimed for it).
/// </summary>
internal static class ReportFixture
{
    public static readonly int[] Keys = [4, 9, 13];

    public static IReadOnlyList<ReportModel> Models(int p = 31, bool withProgress = true)
    {
        var specs = new (string Name, SyntheticModelSpec Spec)[]
        {
            ("full precision", new SyntheticModelSpec { P = p, DModel = 12, DMlp = 48, NHeads = 2, KeyFrequencies = Keys, Noise = 0.02, Seed = 1 }),
            ("binary", new SyntheticModelSpec { P = p, DModel = 12, DMlp = 48, NHeads = 2, KeyFrequencies = Keys, Noise = 0.06, Seed = 2 }),
            ("pizza", new SyntheticModelSpec { P = p, DModel = 12, DMlp = 48, NHeads = 2, KeyFrequencies = Keys, Noise = 0.02, Seed = 3, Algorithm = SyntheticAlgorithm.Pizza }),
            ("untrained", new SyntheticModelSpec { P = p, DModel = 12, DMlp = 48, NHeads = 2, KeyFrequencies = Keys, Noise = 3, Seed = 4 }),
        };
        var train = SyntheticTraining.TrainRows(p, 0.3, 7);
        return specs.Select(s =>
        {
            var model = new SyntheticFourierModel(s.Spec);
            var analysis = ModelAnalyzer.Analyze(new ModelInputs(s.Name, model.Probes(), model.Weights(), EmbeddedModel: model));
            ProgressSeries? progress = withProgress
                ? ProgressMeasures.Compute(SyntheticTraining.Checkpoints(s.Spec, train, epochs: 10000, every: 500), train, Keys)
                : null;
            return new ReportModel(analysis, progress);
        }).ToArray();
    }
}
