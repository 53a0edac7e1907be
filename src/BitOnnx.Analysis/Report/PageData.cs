using System.Text;
using System.Text.Json;
using BitOnnx.Analysis.ClockPizza;
using BitOnnx.Analysis.Fourier;
using static BitOnnx.Analysis.Report.JsonWriting;

namespace BitOnnx.Analysis.Report;

/// <summary>
/// The data the page's script plots, as one JSON object: per model the series of every figure, heatmaps flattened
/// row-major (P×P). Values are rounded to 5 significant digits (the CSVs keep full precision).
/// </summary>
internal static class PageData
{
    private const int Digits = 5;

    public static string Build(string title, IReadOnlyList<ReportModel> models, IReadOnlyList<string> slugs, IReadOnlyList<string> colors,
        Analysis.ClockPizza.ClockPizzaThresholds thresholds)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("title", title);
            w.WriteStartObject("thresholds");
            w.WriteNumber("gradientSymmetricity", thresholds.PizzaMinGradientSymmetricity);
            w.WriteNumber("distanceIrrelevance", thresholds.PizzaMaxDistanceIrrelevance);
            w.WriteEndObject();
            w.WriteString("phaseMethod", Progress.GrokkingPhases.Method);
            w.WriteStartArray("models");
            for (int i = 0; i < models.Count; i++) Model(w, models[i], slugs[i], colors[i]);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Model(Utf8JsonWriter w, ReportModel model, string slug, string color)
    {
        var a = model.Analysis;
        var basis = new FourierBasis(a.P);
        w.WriteStartObject();
        w.WriteString("name", a.Name);
        w.WriteString("slug", slug);
        w.WriteString("color", color);
        w.WriteNumber("p", a.P);
        w.WriteBoolean("learned", a.Learning.AllowsClaims);
        Strings(w, "basisNames", basis.RowNames());

        w.WritePropertyName("loss");
        if (model.LossCurves is { } c)
        {
            w.WriteStartObject();
            Array(w, "epochs", c.Epochs);
            Array(w, "train", c.Train, Digits);
            Array(w, "test", c.Test, Digits);
            if (c.TestAccuracy is { } acc) Array(w, "testAccuracy", acc, Digits);
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WritePropertyName("phases");
        if (model.Phases is { } ph)
        {
            w.WriteStartObject();
            Number(w, "memorizationEnd", ph.MemorizationEnd);
            Number(w, "cleanupStart", ph.CleanupStart);
            Number(w, "cleanupEnd", ph.CleanupEnd);
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WritePropertyName("embedding");
        if (a.Embedding is { } e)
        {
            w.WriteStartObject();
            Array(w, "rowNorms", e.RowNorms, Digits);
            Array(w, "frequencyNorms", e.FrequencyNorms, Digits);
            Array(w, "keyFrequencies", a.EmbeddingKeyFrequencies);
            Number(w, "threshold", e.Threshold, Digits);
            Array(w, "neuronKeyFrequencies", a.NeuronKeyFrequencies);
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WritePropertyName("attention");
        if (a.Attention is { } at)
        {
            w.WriteStartObject();
            w.WriteString("quantity", at.Quantity == Analyses.AttentionQuantity.Pattern ? "pattern" : "score");
            w.WriteStartArray("heads");
            foreach (var map in at.Maps)
            {
                w.WriteStartArray();
                foreach (var v in map) Number(w, v, Digits);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WritePropertyName("neurons");
        if (a.Neurons is { } n)
        {
            w.WriteStartObject();
            w.WriteStartArray("shown");
            foreach (var map in n.Maps)
            {
                w.WriteStartObject();
                w.WriteNumber("neuron", map.Neuron);
                w.WriteNumber("bestFrequency", map.BestFrequency);
                Number(w, "bestFve", map.BestFve, Digits);
                Array(w, "activation", map.Activation, Digits);
                Array(w, "fourier", map.FourierNorms, Digits);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("fveHistogram");
            w.WriteNumber("min", n.FveHistogram.Min);
            w.WriteNumber("max", n.FveHistogram.Max);
            Array(w, "counts", n.FveHistogram.Counts);
            w.WriteEndObject();
            Array(w, "clusterFrequencies", n.ClusterSizes.Keys);
            Array(w, "clusterSizes", n.ClusterSizes.Values);
            w.WriteNumber("unclustered", n.Unclustered);
            Array(w, "keyFrequencies", a.NeuronKeyFrequencies);
            w.WriteStartObject("stats");
            w.WriteNumber("neurons", n.Stats.Neurons);
            w.WriteNumber("dead", n.Stats.Dead);
            Number(w, "mean", n.Stats.Mean, Digits);
            Number(w, "median", n.Stats.Median, Digits);
            Number(w, "fractionAbove085", n.Stats.FractionAbove085, Digits);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WritePropertyName("logits");
        if (a.Logits is { } l)
        {
            w.WriteStartObject();
            Array(w, "fourierNorms", l.FourierNorms, Digits);
            w.WriteStartArray("top");
            foreach (var comp in l.TopComponents)
            {
                w.WriteStartObject();
                w.WriteString("x", comp.XName);
                w.WriteString("y", comp.YName);
                Number(w, "fraction", comp.Fraction, Digits);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WritePropertyName("progress");
        if (model.Progress is { } s)
        {
            w.WriteStartObject();
            Array(w, "keyFrequencies", s.KeyFrequencies);
            Array(w, "epochs", s.Epochs);
            Array(w, "train", s.TrainLoss, Digits);
            Array(w, "test", s.TestLoss, Digits);
            Array(w, "restricted", s.RestrictedLoss, Digits);
            Array(w, "excluded", s.ExcludedLoss, Digits);
            Array(w, "giniEmbedding", s.GiniEmbedding, Digits);
            Array(w, "giniNeuronLogit", s.GiniNeuronLogit, Digits);
            Array(w, "sumSquaredWeights", s.SumSquaredWeights, Digits);
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WritePropertyName("clockPizza");
        if (a.ClockPizza is { } cp)
        {
            w.WriteStartObject();
            Number(w, "distanceIrrelevance", cp.DistanceIrrelevance?.Value, Digits);
            Number(w, "gradientSymmetricity", cp.GradientSymmetricity?.Value, Digits);
            w.WriteString("verdict", cp.Verdict.Name());
            w.WriteString("reason", cp.Reason);
            if (cp.DistanceIrrelevance is { } q) Array(w, "correctLogits", q.CorrectLogits, Digits);
            w.WriteEndObject();
        }
        else w.WriteNullValue();

        w.WriteStartObject("sections");
        foreach (var outcome in a.Sections.Where(o => o.Result is not null))
        {
            w.WritePropertyName(outcome.Section.Id);
            outcome.Result!.WritePageData(w);
        }
        w.WriteEndObject();

        w.WriteEndObject();
    }
}
