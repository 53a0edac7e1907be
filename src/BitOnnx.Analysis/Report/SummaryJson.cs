using System.Text;
using System.Text.Json;
using BitOnnx.Analysis.ClockPizza;
using static BitOnnx.Analysis.Report.JsonWriting;

namespace BitOnnx.Analysis.Report;

/// <summary>report/summary.json: the headline numbers of every model, at full precision, for scripts and CI.</summary>
internal static class SummaryJson
{
    public static string Build(IReadOnlyList<ReportModel> models, IReadOnlyList<string> slugs, Analysis.ClockPizza.ClockPizzaThresholds thresholds)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("generator", "BitOnnx.Analysis");
            w.WriteStartArray("models");
            for (int i = 0; i < models.Count; i++) Model(w, models[i], slugs[i], thresholds);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void Model(Utf8JsonWriter w, ReportModel model, string slug, Analysis.ClockPizza.ClockPizzaThresholds thresholds)
    {
        var a = model.Analysis;
        w.WriteStartObject();
        w.WriteString("name", a.Name);
        w.WriteString("data_folder", $"data/{slug}");
        w.WriteNumber("p", a.P);

        w.WritePropertyName("run");
        if (a.Run is { } run)
        {
            w.WriteStartObject();
            w.WriteString("path", run.Path);
            w.WriteString("preset", run.Config.Preset);
            w.WriteString("quant", run.Config.Quant);
            w.WriteNumber("seed", run.Config.Seed);
            w.WriteNumber("train_fraction", run.Config.TrainFraction);
            w.WriteNumber("d_model", run.Config.DModel);
            w.WriteNumber("n_heads", run.Config.NHeads);
            w.WriteNumber("d_mlp", run.Config.DMlp);
            w.WriteNumber("checkpoints", run.Checkpoints.Count);
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        var learning = a.Learning;
        w.WriteStartObject("learning");
        w.WriteString("status", learning.Status switch
        {
            Analyses.LearningStatus.Learned => "learned",
            Analyses.LearningStatus.Borderline => "borderline",
            _ => "not-learned",
        });
        Number(w, "accuracy", learning.Accuracy);
        w.WriteBoolean("held_out", learning.HeldOut);
        w.WriteNumber("pairs", learning.Pairs);
        Number(w, "learned_at_least", learning.Thresholds.Learned);
        Number(w, "borderline_at_least", learning.Thresholds.Borderline);
        w.WriteString("evidence", learning.Evidence);
        w.WriteEndObject();

        w.WriteStartObject("key_frequencies");
        w.WriteBoolean("claimed", learning.AllowsClaims);
        Array(w, "embedding", a.EmbeddingKeyFrequencies);
        Array(w, "neurons", a.NeuronKeyFrequencies);
        Number(w, "embedding_threshold", a.Embedding?.Threshold);
        w.WriteEndObject();

        w.WritePropertyName("fve");
        if (a.Neurons is { } n)
        {
            w.WriteStartObject();
            w.WriteNumber("neurons", n.Stats.Neurons);
            w.WriteNumber("dead", n.Stats.Dead);
            Number(w, "mean", n.Stats.Mean);
            Number(w, "median", n.Stats.Median);
            Number(w, "fraction_at_least_0_85", n.Stats.FractionAbove085);
            Number(w, "fraction_at_least_0_5", n.Stats.FractionAbove05);
            w.WriteStartObject("clusters");
            foreach (var kv in n.ClusterSizes) w.WriteNumber(kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv.Value);
            w.WriteEndObject();
            w.WriteNumber("unclustered", n.Unclustered);
            w.WriteEndObject();
        }
        else w.WriteNullValue();
        if (a.NeuronsSkipped is not null) w.WriteString("neurons_skipped", a.NeuronsSkipped);

        w.WritePropertyName("losses");
        if (a.Logits is { } l)
        {
            w.WriteStartObject();
            Number(w, "all_loss", l.Loss.AllLoss);
            Number(w, "all_accuracy", l.Loss.AllAccuracy);
            Number(w, "train_loss", l.Loss.TrainLoss);
            Number(w, "train_accuracy", l.Loss.TrainAccuracy);
            Number(w, "test_loss", l.Loss.TestLoss);
            Number(w, "test_accuracy", l.Loss.TestAccuracy);
            w.WriteStartArray("logit_top_fourier_components");
            foreach (var c in l.TopComponents.Take(10))
            {
                w.WriteStartObject();
                w.WriteString("a", c.XName);
                w.WriteString("b", c.YName);
                Number(w, "fraction_of_variance", c.Fraction);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WritePropertyName("training");
        if (model.LossCurves is { } curves && curves.Epochs.Length > 0)
        {
            int last = curves.Epochs.Length - 1;
            w.WriteStartObject();
            w.WriteNumber("final_epoch", curves.Epochs[last]);
            Number(w, "final_train_loss", curves.Train[last]);
            Number(w, "final_test_loss", curves.Test[last]);
            Number(w, "final_test_accuracy", curves.TestAccuracy?[last]);
            var ph = model.Phases;
            Number(w, "memorization_end_epoch", ph?.MemorizationEnd);
            Number(w, "cleanup_start_epoch", ph?.CleanupStart);
            Number(w, "cleanup_end_epoch", ph?.CleanupEnd);
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WritePropertyName("progress_measures");
        if (model.Progress is { } s && s.Epochs.Length > 0)
        {
            int last = s.Epochs.Length - 1;
            w.WriteStartObject();
            Array(w, "key_frequencies", s.KeyFrequencies);
            w.WriteNumber("checkpoints", s.Epochs.Length);
            w.WriteNumber("final_epoch", s.Epochs[last]);
            Number(w, "final_restricted_loss", s.RestrictedLoss[last]);
            Number(w, "final_excluded_loss", s.ExcludedLoss[last]);
            Number(w, "final_gini_embedding", s.GiniEmbedding[last]);
            Number(w, "final_gini_neuron_logit", s.GiniNeuronLogit[last]);
            Number(w, "final_sum_squared_weights", s.SumSquaredWeights[last]);
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WritePropertyName("clock_pizza");
        if (a.ClockPizza is { } cp)
        {
            w.WriteStartObject();
            Number(w, "distance_irrelevance", cp.DistanceIrrelevance?.Value);
            Number(w, "gradient_symmetricity", cp.GradientSymmetricity?.Value);
            w.WriteNumber("gradient_symmetricity_samples", cp.GradientSymmetricity?.Triples.Count ?? 0);
            if (cp.GradientSymmetricity is { } g)
            {
                w.WriteString("gradient_method", g.Method);
                Number(w, "gradient_step", g.Step);
                Number(w, "gradient_relative_step", g.RelativeStep);
            }
            w.WriteString("verdict", cp.Verdict.Name());
            w.WriteBoolean("borderline", cp.Borderline);
            w.WriteString("reason", cp.Reason);
            w.WriteStartObject("thresholds");
            w.WriteNumber("pizza_min_gradient_symmetricity", thresholds.PizzaMinGradientSymmetricity);
            w.WriteNumber("pizza_max_distance_irrelevance", thresholds.PizzaMaxDistanceIrrelevance);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WriteStartObject("sections");
        foreach (var outcome in a.Sections)
        {
            w.WritePropertyName(outcome.Section.Id);
            if (outcome.Result is { } result) result.WriteSummary(w);
            else
            {
                w.WriteStartObject();
                w.WriteString("skipped", outcome.Skipped);
                w.WriteEndObject();
            }
        }
        w.WriteEndObject();

        w.WriteEndObject();
    }
}
