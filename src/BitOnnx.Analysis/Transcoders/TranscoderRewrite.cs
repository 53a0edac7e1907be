using BitOnnx.Analysis.Explanations;
using BitOnnx.Core.Data;
using BitOnnx.Core.Transcoders;

namespace BitOnnx.Analysis.Transcoders;

/// <summary>
/// A transcoder whose encoder is replaced by a simulator of its latents' explanations (Paulo and Belrose 2025, arXiv
/// 2501.18838): each latent explained from its activation map over (a, b), computed again from its formula alone, and
/// the simulated latents decoded through W_dec and b_dec in place of the MLP. <see cref="All"/> and <see cref="Test"/>
/// are the splice's losses over all pairs and the test split; their <c>CeLossScore</c> is metrics.json's
/// <c>explanation_ce_loss_score</c>. The simulated latents are used as they come: no TopK is applied again, since a
/// latent's formula already says where it is zero.
/// </summary>
public sealed record TranscoderRewrite(IReadOnlyList<UnitExplanation> Explanations, float[] Simulated, SpliceLosses All, SpliceLosses Test, IReadOnlyList<int> TestRows)
{
    /// <summary>The explainer's options for latents: the defaults, latents named "latent" in the sentences.</summary>
    public static ExplainerOptions LatentOptions { get; } = new() { UnitName = "latent" };

    /// <summary>Explains <paramref name="latents"/> [P², width] (row a·P + b), then rewrites from those explanations.</summary>
    public static TranscoderRewrite Explain(TranscoderSplice splice, Transcoder transcoder, float[] latents, IReadOnlyList<int> testRows,
        ExplainerOptions? options = null, IProgress<double>? progress = null)
    {
        var explanations = UnitExplainer.ExplainAll(splice.P, latents, transcoder.Config.Width, options ?? LatentOptions, progress);
        return FromExplanations(splice, transcoder, explanations, testRows);
    }

    /// <summary>The rewrite from given explanations, one per latent in order (right or wrong: they are not checked against any latent).</summary>
    public static TranscoderRewrite FromExplanations(TranscoderSplice splice, Transcoder transcoder, IReadOnlyList<UnitExplanation> explanations, IReadOnlyList<int> testRows)
    {
        if (explanations.Count != transcoder.Config.Width)
            throw new AnalysisInputException($"The transcoder has {transcoder.Config.Width} latents but {explanations.Count} explanations were given; give one per latent.");
        var simulated = UnitSimulator.SimulateAll(explanations);
        var logits = splice.SplicedLogits(transcoder, simulated);
        return new TranscoderRewrite(explanations, simulated, splice.Losses(logits, ModularAdditionData.AllRows(splice.P)), splice.Losses(logits, testRows), testRows);
    }

    public ExplanationSummary Summary => ExplanationSummary.Of(Explanations, LatentOptions);
}
