using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.ClockPizza;
using BitOnnx.Analysis.Fourier;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Core.Model;

namespace BitOnnx.Analysis;

/// <summary>Runs the analyses of Li 2024 (figs. 2–6) and the clock-vs-pizza measures on one model.</summary>
public static class ModelAnalyzer
{
    /// <summary>
    /// Probes the chosen analyses need, each with the analyses that need it. W_E comes from the weight
    /// <c>embed.W_E</c> when the weights hold it, else from <c>hook_embed</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredProbes(AnalysisOptions options, int layer, bool hasEmbedWeight, bool hasEmbeddedModel)
    {
        var needs = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Need(string probe, string analysis)
        {
            if (!needs.TryGetValue(probe, out var list)) needs[probe] = list = [];
            list.Add(analysis);
        }
        var parts = options.Parts;
        if (parts.HasFlag(AnalysisParts.Embedding) && !hasEmbedWeight) Need(HookNames.Embed, "embedding Fourier norms");
        if (parts.HasFlag(AnalysisParts.Attention)) Need(AttentionAnalysis.ProbeFor(options.Attention, layer), "attention maps");
        if (parts.HasFlag(AnalysisParts.Neurons)) Need(HookNames.MlpPost(layer), "neuron maps and FVE");
        Need(HookNames.Logits, "whether the model learned the task");
        if (parts.HasFlag(AnalysisParts.Logits)) Need(HookNames.Logits, "logit Fourier norms and losses");
        if (parts.HasFlag(AnalysisParts.ClockPizza))
        {
            Need(HookNames.Logits, "distance irrelevance");
            if (hasEmbeddedModel) Need(HookNames.Embed, "gradient symmetricity");
        }
        return needs.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// The options a model is analysed with: <paramref name="options"/>, less the neuron analyses for a model whose MLP a
    /// transcoder replaced (<see cref="ModelInputs.NeuronsSkipped"/> says why).
    /// </summary>
    public static AnalysisOptions PartsFor(AnalysisOptions options, global::BitOnnx.Onnx.Surgery.SplicedTranscoder? splice) =>
        splice is null ? options : options with { Parts = options.Parts & ~AnalysisParts.Neurons };

    /// <summary>
    /// Analyses one model. Checks up front that every needed probe exists (else <see cref="MissingProbesException"/>
    /// listing all of them) and that P agrees with the run folder.
    /// </summary>
    public static ModelAnalysis Analyze(ModelInputs model, AnalysisOptions? options = null, IProgress<AnalysisProgress>? progress = null)
    {
        options = PartsFor(options ?? new AnalysisOptions(), model.Splice);
        var probes = model.Probes;
        int p = probes.P;
        model.Run?.RequireSameP(probes, model.Name);
        bool hasEmbedWeight = model.Weights?.TryGet(ParameterNames.Embed, out _) == true;
        var required = RequiredProbes(options, model.Layer, hasEmbedWeight, model.EmbeddedModel != null);
        var present = probes.Names.ToHashSet(StringComparer.Ordinal);
        var missing = required.Where(kv => !present.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        if (missing.Count > 0) throw new MissingProbesException(model.Name, missing);

        var basis = new FourierBasis(p);
        var parts = options.Parts;
        IReadOnlyList<int>? train = model.Run?.Split?.Train;
        void Report(string stage, double f) => progress?.Report(new AnalysisProgress(stage, Math.Clamp(f, 0, 1)));

        var logits = ProbeViews.Logits(probes);
        var learning = LearningGate.Assess(logits, p, train, options.Learning);

        EmbeddingFourierResult? embedding = null;
        if (parts.HasFlag(AnalysisParts.Embedding))
        {
            Report("embedding", 0);
            var e = ProbeViews.NumberEmbedding(probes, model.Weights, out int dModel);
            embedding = EmbeddingFourierAnalysis.Analyze(basis, e, dModel, options.KeyFrequencies);
            Report("embedding", 1);
        }

        AttentionResult? attention = null;
        if (parts.HasFlag(AnalysisParts.Attention))
        {
            Report("attention", 0);
            attention = AttentionAnalysis.Analyze(probes, options.Attention, model.Layer);
            Report("attention", 1);
        }

        NeuronFourierResult? neurons = null;
        if (parts.HasFlag(AnalysisParts.Neurons))
        {
            Report("neurons", 0);
            var post = probes.Get(HookNames.MlpPost(model.Layer));
            var acts = ProbeViews.PositionSlice(post, p, ProbeViews.EqualsPosition);
            neurons = NeuronFourierAnalysis.Analyze(basis, acts, ProbeViews.Width(post), options.ShownNeurons, options.KeyFrequencies,
                f => Report("neurons", f));
        }

        LogitFourierResult? logitResult = null;
        if (parts.HasFlag(AnalysisParts.Logits))
        {
            Report("logits", 0);
            logitResult = LogitFourierAnalysis.Analyze(basis, logits, train, options.TopLogitComponents, f => Report("logits", f));
        }

        ClockPizzaResult? clockPizza = null;
        if (parts.HasFlag(AnalysisParts.ClockPizza) && !learning.AllowsClaims)
        {
            clockPizza = ClockPizzaVerdict.NotLearned(learning);
        }
        else if (parts.HasFlag(AnalysisParts.ClockPizza))
        {
            Report("clock vs pizza", 0);
            var q = DistanceIrrelevance.Compute(logits, p);
            GradientSymmetricityResult? sg = null;
            if (model.EmbeddedModel is { } embedded)
            {
                sg = GradientSymmetricity.Compute(embedded, probes.Get(HookNames.Embed), p, options.GradientSymmetricity);
            }
            clockPizza = ClockPizzaVerdict.Decide(q, sg, options.ClockPizza, learning);
            Report("clock vs pizza", 1);
        }

        var analysis = new ModelAnalysis(model.Name, p, model.Run, learning, embedding, attention, neurons, logitResult, clockPizza);
        return analysis with { Sections = Sections(model, analysis, options, Report), NeuronsSkipped = model.NeuronsSkipped };
    }

    /// <summary>Runs every report section asked for; one that does not apply to this model says why.</summary>
    private static IReadOnlyList<SectionOutcome> Sections(ModelInputs model, ModelAnalysis analysis, AnalysisOptions options, Action<string, double> report)
    {
        var config = model.Session?.Metadata.Config;
        var outcomes = new List<SectionOutcome>();
        foreach (var section in Analysis.Sections.ReportSections.All.Where(s => options.Sections?.Contains(s.Id) ?? true))
        {
            var context = new Analysis.Sections.SectionContext(model, analysis, config, model.Session, options, new Stage(f => report(section.Id, f)));
            var result = section.Compute(context, out var skipped);
            outcomes.Add(new SectionOutcome(section, result, skipped));
            // A section that does not apply says so in the report, not as a stage on the progress bar.
            if (result is not null) report(section.Id, 1);
        }
        return outcomes;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Stage(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
