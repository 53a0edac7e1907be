using System.Globalization;
using System.Text;
using System.Text.Json;
using BitOnnx.Analysis.Explanations;
using BitOnnx.Analysis.Interventions;
using BitOnnx.Analysis.Transcoders;
using BitOnnx.Core.Data;
using BitOnnx.Core.Transcoders;
using static BitOnnx.Analysis.Report.JsonWriting;

namespace BitOnnx.Analysis.Sections;

/// <summary>
/// A transcoder trained on the model (<c>bitonnx analyze --transcoder</c>, docs/transcoders.md): a gallery of its most
/// frequently active latents, each with its activation map over (a, b) at the last position, its key frequency, the
/// sentence that explains it and the fraction explained (<see cref="UnitExplainer"/>), the dead latents counted; and the
/// loss table of Paulo and Belrose (2025): the model as it is, with the MLP replaced by the transcoder, by the
/// transcoder's decoder of latents simulated from their explanations (<see cref="TranscoderRewrite"/>), and zero-ablated.
/// </summary>
[ReportOrder(40)]
public sealed class TranscoderSection : IReportSection
{
    /// <summary>Latents in the gallery.</summary>
    public const int GalleryLatents = 12;

    public string Id => "transcoder";

    public string Title => "Transcoder latents";

    public string Caption =>
        "The transcoder stands in for the MLP: latents = TopK(ReLU(x·W<sub>enc</sub> + b<sub>enc</sub>)) (or ReLU alone for an L1 transcoder) of the MLP's " +
        "input x at the last position, decoded by W<sub>dec</sub> and b<sub>dec</sub> into the MLP's output. The gallery shows the live latents that fire on the most " +
        "pairs (activation frequency: the share of the P² pairs where the latent is not 0), each latent's activation over (a, b), and its explanation: the " +
        "formula in the 2-D Fourier basis that explains most of its variance (1 − SSE/SST), as for neurons. Dead latents never fire on any pair. The table " +
        "replaces the MLP's output at the last position, on ONNX Runtime, by the transcoder's, by the decoder of the latents simulated from their formulas " +
        "alone (Paulo and Belrose 2025), or by 0, and scores each as SAELens does: ce_loss_score = (L<sub>zero</sub> − L) / (L<sub>zero</sub> − L<sub>clean</sub>). " +
        "The CSVs hold every latent's explanation, the table, and the gallery's maps (one column per latent, a row per pair).";

    public IReadOnlyList<string> Plots { get; } = ["transcoderGallery", "transcoderLosses"];

    public SectionResult? Compute(SectionContext context, out string? skipped)
    {
        skipped = null;
        if (context.Model.Transcoder is not { } input)
        {
            skipped = context.Model.NeuronsSkipped is { } why
                ? "no transcoder section: " + why
                : "no transcoder: give bitonnx analyze --transcoder with the folder bitonnx transcoder train wrote for this model.";
            return null;
        }
        if (context.Session is not { } session)
        {
            skipped = "no transcoder splice: the model was exported without writable hooks (bitonnx export ... --probes all --writable all).";
            return null;
        }
        var splice = new TranscoderSplice(session);
        var transcoder = input.Transcoder;
        var latents = transcoder.Encode(splice.MlpInput);
        int p = splice.P, width = transcoder.Config.Width;
        var all = ModularAdditionData.AllRows(p);
        var test = session.Metadata is { Seed: not null, TrainFraction: not null } ? splice.Split.TestRows : null;
        var spliced = splice.LossesOfLatents(transcoder, latents);
        context.Progress.Report(0.1);
        var rewrite = TranscoderRewrite.Explain(splice, transcoder, latents, test ?? all, progress: new InterventionReads.Part(context.Progress, 0.1, 0.9));
        var frequency = ActivationFrequency(latents, width);
        var gallery = Enumerable.Range(0, width).Where(j => frequency[j] > 0).OrderByDescending(j => frequency[j]).ThenBy(j => j).Take(GalleryLatents).ToArray();
        var rows = new LossRow[]
        {
            new("clean", spliced.CeLossClean, spliced.AccuracyClean, 1, null),
            new("transcoder", spliced.CeLossSpliced, spliced.AccuracySpliced, spliced.CeLossScore, TranscoderMetrics.L0(latents, width, all)),
            new("simulated from explanations", rewrite.All.CeLossSpliced, rewrite.All.AccuracySpliced, rewrite.All.CeLossScore, TranscoderMetrics.L0(rewrite.Simulated, width, all)),
            new("zero-ablated MLP", spliced.CeLossZeroAblated, spliced.AccuracyZeroAblated, 0, null),
        };
        var fvu = TranscoderMetrics.Fvu(splice.MlpOutput, transcoder.Decode(latents), transcoder.Config.DOut, all);
        var testRows = test is null ? null : TestRows(splice.LossesOfLatents(transcoder, latents, test), rewrite.Test);
        var maps = gallery.Select(j => Column(latents, width, j)).ToArray();
        return new Result(p, transcoder.Config, rewrite.Explanations, frequency, gallery, maps, rows, testRows, fvu);
    }

    /// <summary>The share of rows on which each latent of <paramref name="latents"/> [rows, width] is not 0.</summary>
    public static double[] ActivationFrequency(ReadOnlySpan<float> latents, int width)
    {
        var rows = latents.Length / width;
        var frequency = new double[width];
        for (var r = 0; r < rows; r++)
            for (var j = 0; j < width; j++)
                if (latents[r * width + j] != 0) frequency[j]++;
        for (var j = 0; j < width; j++) frequency[j] /= rows;
        return frequency;
    }

    private static LossRow[] TestRows(SpliceLosses spliced, SpliceLosses simulated) =>
    [
        new("clean", spliced.CeLossClean, spliced.AccuracyClean, 1, null),
        new("transcoder", spliced.CeLossSpliced, spliced.AccuracySpliced, spliced.CeLossScore, null),
        new("simulated from explanations", simulated.CeLossSpliced, simulated.AccuracySpliced, simulated.CeLossScore, null),
        new("zero-ablated MLP", spliced.CeLossZeroAblated, spliced.AccuracyZeroAblated, 0, null),
    ];

    private static double[] Column(float[] activations, int width, int j)
    {
        var map = new double[activations.Length / width];
        for (var row = 0; row < map.Length; row++) map[row] = activations[row * width + j];
        return map;
    }

    /// <summary>One run of the loss table: its mean cross-entropy at the last position, accuracy, ce_loss_score and L0 (where it has latents).</summary>
    public sealed record LossRow(string Name, double Loss, double Accuracy, double CeLossScore, double? L0);

    public string Script => """
        BitOnnxReport.renderers.transcoderGallery = function (div, m, data, r) {
          var g = data.gallery;
          var sub = data.width + ' latents \u00B7 ' + data.dead + ' dead (never active) \u00B7 ordered by activation frequency';
          if (!g.length) { r.header(div, m, 'transcoder latents', 'every latent is dead'); return r.draw(div, [], r.layout('', '')); }
          return r.heatmapSet(div, m, g.map(function (x) { return x.map; }),
            g.map(function (x) { return 'latent ' + x.latent + ' (' + (x.frequency ? 'f ' + x.frequency + ', ' : '') + (100 * x.fraction).toFixed(0) + '%)'; }),
            g.map(function (x) {
              return r.escapeHtml(x.sentence) + '<span class="sub">latent ' + x.latent + ' fires on ' + (100 * x.density).toFixed(1) + '% of the pairs \u00B7 key frequency ' +
                (x.frequency || '\u2013') + ' \u00B7 ' + (100 * x.fraction).toFixed(1) + '% explained \u00B7 ' + sub + '</span>';
            }),
            { xTitle: 'b', yTitle: 'a', zTitle: 'activation', hover: 'a=%{y}, b=%{x}<br>activation %{z:.4g}' });
        };

        BitOnnxReport.renderers.transcoderLosses = function (div, m, data, r) {
          function cell(v, d) { return v === null || v === undefined ? '\u2013' : v.toFixed(d); }
          function table(rows, caption) {
            return '<table class="summary"><caption>' + caption + '</caption><thead><tr><th>MLP</th><th>loss</th><th>accuracy</th><th>ce_loss_score</th><th>L0</th></tr></thead><tbody>' +
              rows.map(function (x) {
                return '<tr><td>' + r.escapeHtml(x.name) + '</td><td class="num">' + cell(x.loss, 4) + '</td><td class="num">' + cell(100 * x.accuracy, 2) +
                  '%</td><td class="num">' + cell(x.ceLossScore, 4) + '</td><td class="num">' + cell(x.l0, 1) + '</td></tr>';
              }).join('') + '</tbody></table>';
          }
          r.header(div, m, 'the MLP replaced: loss at = ', 'fvu ' + data.fvu.toFixed(4) + ' \u00B7 ' + data.dead + ' of ' + data.width + ' latents dead');
          return r.show(div, table(data.losses, 'all P\u00B2 pairs') + (data.testLosses ? table(data.testLosses, 'test pairs (never trained on)') : ''));
        };
        """;

    private sealed class Result(int p, TranscoderConfig config, IReadOnlyList<UnitExplanation> explanations, double[] frequency, int[] gallery, double[][] maps,
        LossRow[] rows, LossRow[]? testRows, double fvu) : SectionResult
    {

        private int Dead => frequency.Count(f => f == 0);

        public override void WriteSummary(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("architecture", TranscoderFile.KindName(config.Kind));
            w.WriteNumber("d_sae", config.Width);
            if (config.Kind == TranscoderKind.TopK) w.WriteNumber("k", config.K);
            w.WriteNumber("dead_latents", Dead);
            Number(w, "fvu", fvu);
            w.WriteString("gallery_order", "activation frequency");
            Array(w, "gallery", gallery);
            Rows(w, "losses", rows, 0);
            if (testRows is not null) Rows(w, "test_losses", testRows, 0);
            w.WriteEndObject();
        }

        public override void WritePageData(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteNumber("width", config.Width);
            w.WriteNumber("dead", Dead);
            Number(w, "fvu", fvu, 5);
            w.WriteStartArray("gallery");
            for (var i = 0; i < gallery.Length; i++)
            {
                var e = explanations[gallery[i]];
                w.WriteStartObject();
                w.WriteNumber("latent", gallery[i]);
                Number(w, "density", frequency[gallery[i]], 4);
                w.WriteNumber("frequency", e.Frequency);
                Number(w, "fraction", e.FractionExplained, 4);
                w.WriteString("sentence", e.Sentence);
                Array(w, "map", maps[i], 4);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Rows(w, "losses", rows, 5, camel: true);
            if (testRows is not null) Rows(w, "testLosses", testRows, 5, camel: true);
            w.WriteEndObject();
        }

        private static void Rows(Utf8JsonWriter w, string name, LossRow[] table, int digits, bool camel = false)
        {
            w.WriteStartArray(name);
            foreach (var row in table)
            {
                w.WriteStartObject();
                w.WriteString("name", row.Name);
                Number(w, "loss", row.Loss, digits);
                Number(w, "accuracy", row.Accuracy, digits);
                Number(w, camel ? "ceLossScore" : "ce_loss_score", row.CeLossScore, digits);
                Number(w, "l0", row.L0, digits);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }

        public override IEnumerable<(string File, string Text)> Tables()
        {
            yield return ("latents.csv", ExplanationCsv.Format(explanations));
            var csv = new StringBuilder("pairs,mlp,loss,accuracy,ce_loss_score,l0\n");
            foreach (var (pairs, runs) in new[] { ("all", rows), ("test", testRows) })
                foreach (var row in runs ?? [])
                    csv.Append(CultureInfo.InvariantCulture, $"{pairs},{row.Name},{R(row.Loss)},{R(row.Accuracy)},{R(row.CeLossScore)},{(row.L0 is { } l0 ? R(l0) : "")}\n");
            yield return ("losses.csv", csv.ToString());
            var table = new StringBuilder("a,b," + string.Join(",", gallery.Select(j => $"latent_{j}")) + "\n");
            for (var row = 0; row < p * p; row++)
            {
                table.Append(CultureInfo.InvariantCulture, $"{row / p},{row % p}");
                foreach (var map in maps) table.Append(',').Append(((float)map[row]).ToString("R", CultureInfo.InvariantCulture));
                table.Append('\n');
            }
            yield return ("gallery.csv", table.ToString());
        }

        private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }
}
