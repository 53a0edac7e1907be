using System.Text;
using System.Text.Json;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Transcoders;

namespace BitOnnx.Analysis.Transcoders;

/// <summary>
/// TC/metrics.json: <see cref="TranscoderMetrics"/> with SAELens' names (fvu, l0, dead_latents, feature_density,
/// ce_loss_score, kl, ce_loss_clean / _spliced / _zero_ablated, accuracy_clean / _spliced / _zero_ablated) at the top
/// level over all pairs and again under "test"; explanation_ce_loss_score (with explanation_ce_loss, explanation_accuracy
/// explanation_kl and explanation_l0: the latents simulated from their explanations, <see cref="TranscoderRewrite"/>) is null until
/// explanations are measured.
/// Written atomically; the one class that writes and reads it.
/// </summary>
public static class TranscoderMetricsFile
{
    public const string FileName = "metrics.json";

    public static void Write(string path, TranscoderMetrics m)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("model", m.Source.Name);
            json.WriteString("model_weights_sha256", m.Source.WeightsSha256);
            json.WriteString("architecture", TranscoderFile.KindName(m.Config.Kind));
            json.WriteNumber("d_sae", m.Config.Width);
            json.WriteNumber("k", m.Config.K);
            json.WriteNumber("l1_coefficient", m.Config.L1Coefficient);
            json.WriteNumber("seed", m.Config.Seed);
            json.WriteNumber("epochs", m.Epochs);
            json.WriteNumber("steps", m.Steps);
            json.WriteNumber("train_seconds", Math.Round(m.TrainSeconds, 2));
            WriteSplit(json, m.All);
            json.WriteNumber("dead_latents", m.DeadLatents);
            WriteExplanation(json, m.Rewrite, m.Rewrite?.All, ModularAdditionData.AllRows(m.Source.P));
            json.WritePropertyName("test");
            json.WriteStartObject();
            WriteSplit(json, m.Test);
            WriteExplanation(json, m.Rewrite, m.Rewrite?.Test, m.Rewrite?.TestRows);
            json.WriteEndObject();
            json.WriteStartArray("feature_density");
            foreach (var d in m.FeatureDensity) json.WriteNumberValue(d);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        AtomicFile.WriteText(path, Encoding.UTF8.GetString(buffer.ToArray()) + "\n");
    }

    /// <summary>The all-pairs and test measures of a metrics.json (the config and source are the transcoder file's).</summary>
    public static (SplitMetrics All, SplitMetrics Test, int DeadLatents, double TrainSeconds) Read(string path)
    {
        if (!File.Exists(path)) throw new AnalysisInputException($"'{path}' does not exist; give the metrics.json that bitonnx transcoder train wrote.");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            return (ReadSplit(root), ReadSplit(root.GetProperty("test")), root.GetProperty("dead_latents").GetInt32(), root.GetProperty("train_seconds").GetDouble());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new AnalysisInputException($"'{path}' is not a transcoder's metrics.json ({e.Message}); give the one bitonnx transcoder train wrote.");
        }
    }

    private static void WriteSplit(Utf8JsonWriter json, SplitMetrics s)
    {
        json.WriteNumber("rows", s.Rows);
        json.WriteNumber("fvu", s.Fvu);
        json.WriteNumber("l0", s.L0);
        json.WriteNumber("ce_loss_score", s.Losses.CeLossScore);
        json.WriteNumber("kl", s.Losses.Kl);
        json.WriteNumber("ce_loss_clean", s.Losses.CeLossClean);
        json.WriteNumber("ce_loss_spliced", s.Losses.CeLossSpliced);
        json.WriteNumber("ce_loss_zero_ablated", s.Losses.CeLossZeroAblated);
        json.WriteNumber("accuracy_clean", s.Losses.AccuracyClean);
        json.WriteNumber("accuracy_spliced", s.Losses.AccuracySpliced);
        json.WriteNumber("accuracy_zero_ablated", s.Losses.AccuracyZeroAblated);
    }

    private static void WriteExplanation(Utf8JsonWriter json, TranscoderRewrite? rewrite, SpliceLosses? losses, IReadOnlyList<int>? rows)
    {
        if (rewrite is null || losses is null || rows is null)
        {
            json.WriteNull("explanation_ce_loss_score");
            return;
        }
        json.WriteNumber("explanation_ce_loss_score", losses.CeLossScore);
        json.WriteNumber("explanation_ce_loss", losses.CeLossSpliced);
        json.WriteNumber("explanation_accuracy", losses.AccuracySpliced);
        json.WriteNumber("explanation_kl", losses.Kl);
        // The simulated latents' own L0: a formula fires wherever it is positive, not on k pairs' worth of latents.
        json.WriteNumber("explanation_l0", TranscoderMetrics.L0(rewrite.Simulated, rewrite.Explanations.Count, rows));
    }

    /// <summary>The all-pairs and test explanation_ce_loss_score of a metrics.json, null where it was not measured.</summary>
    public static (double? All, double? Test) ReadExplanationScores(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        static double? Of(JsonElement e) => e.TryGetProperty("explanation_ce_loss_score", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        return (Of(doc.RootElement), Of(doc.RootElement.GetProperty("test")));
    }

    private static SplitMetrics ReadSplit(JsonElement e)
    {
        double D(string name) => e.GetProperty(name).GetDouble();
        return new SplitMetrics(e.GetProperty("rows").GetInt32(), D("fvu"), D("l0"),
            new SpliceLosses(D("ce_loss_clean"), D("ce_loss_spliced"), D("ce_loss_zero_ablated"), D("accuracy_clean"), D("accuracy_spliced"), D("accuracy_zero_ablated"), D("kl")));
    }
}
