using System.Globalization;
using System.Text;
using BitOnnx.Analysis.ClockPizza;
using BitOnnx.Analysis.Fourier;
using BitOnnx.Core.Checkpoints;

namespace BitOnnx.Analysis.Report;

/// <summary>One CSV per plotted series, full precision (round-trip), tidy (one value per row).</summary>
internal static class CsvTables
{
    /// <summary>Writes every table of one model into <paramref name="dir"/>; returns the file names written.</summary>
    public static IReadOnlyList<string> Write(string dir, ReportModel model)
    {
        var a = model.Analysis;
        var basis = new FourierBasis(a.P);
        var names = basis.RowNames();
        var written = new List<string>();
        void Table(string file, string header, IEnumerable<IEnumerable<object>> rows)
        {
            var sb = new StringBuilder(header).Append('\n');
            foreach (var row in rows) sb.Append(string.Join(",", row.Select(Format))).Append('\n');
            AtomicFile.WriteText(Path.Combine(dir, file), sb.ToString());
            written.Add(file);
        }
        IEnumerable<IEnumerable<object>> Map(double[] map, int p) =>
            Enumerable.Range(0, p * p).Select(i => new object[] { i / p, i % p, map[i] });
        IEnumerable<IEnumerable<object>> FourierMap(double[] map, int p) =>
            Enumerable.Range(0, p * p).Select(i => new object[] { i / p, i % p, names[i / p], names[i % p], map[i] });

        if (model.LossCurves is { } c)
        {
            Table("loss_curves.csv", "epoch,train_loss,test_loss,test_acc",
                c.Epochs.Select((e, i) => new object[] { e, c.Train[i], c.Test[i], c.TestAccuracy is { } acc ? acc[i] : double.NaN }));
        }
        if (a.Embedding is { } emb)
        {
            Table("embedding_fourier_norms.csv", "row,component,frequency,norm",
                emb.RowNorms.Select((v, r) => new object[] { r, names[r], basis.Describe(r).Frequency, v }));
            Table("embedding_frequency_norms.csv", "frequency,norm,key",
                emb.FrequencyNorms.Select((v, i) => new object[] { i + 1, v, a.EmbeddingKeyFrequencies.Contains(i + 1) ? 1 : 0 }));
        }
        if (a.Attention is { } att)
        {
            string quantity = att.Quantity == Analyses.AttentionQuantity.Pattern ? "pattern" : "score";
            for (int h = 0; h < att.Maps.Length; h++)
                Table($"attention_head{h}.csv", $"a,b,attention_{quantity}_eq_to_a", Map(att.Maps[h], a.P));
        }
        if (a.Neurons is { } n)
        {
            foreach (var m in n.Maps)
            {
                Table($"neuron{m.Neuron}_activation.csv", "a,b,activation", Map(m.Activation, a.P));
                Table($"neuron{m.Neuron}_fourier_norms.csv", "x,y,x_component,y_component,norm", FourierMap(m.FourierNorms, a.P));
            }
            Table("neuron_fve.csv", "neuron,best_frequency,best_fve," + string.Join(",", Enumerable.Range(1, n.Frequencies).Select(f => $"fve_f{f}")),
                Enumerable.Range(0, n.DMlp).Select(i => new object[] { i, n.BestFrequency[i], n.BestFve[i] }
                    .Concat(Enumerable.Range(0, n.Frequencies).Select(f => (object)n.Fve[i * n.Frequencies + f]))));
            Table("fve_histogram.csv", "bin_start,bin_end,neurons",
                n.FveHistogram.Counts.Select((k, i) => new object[] { n.FveHistogram.BinStart(i), n.FveHistogram.BinStart(i + 1), k }));
            Table("neuron_clusters.csv", "frequency,neurons,key",
                n.ClusterSizes.Select(kv => new object[] { kv.Key, kv.Value, a.NeuronKeyFrequencies.Contains(kv.Key) ? 1 : 0 }));
        }
        if (a.Logits is { } l)
        {
            Table("logit_fourier_norms.csv", "x,y,x_component,y_component,norm", FourierMap(l.FourierNorms, a.P));
        }
        if (model.Progress is { } s)
        {
            Table("progress_measures.csv", "epoch,train_loss,test_loss,restricted_loss,excluded_loss,gini_embedding,gini_neuron_logit,sum_squared_weights",
                s.Epochs.Select((e, i) => new object[] { e, s.TrainLoss[i], s.TestLoss[i], s.RestrictedLoss[i], s.ExcludedLoss[i],
                    s.GiniEmbedding[i], s.GiniNeuronLogit[i], s.SumSquaredWeights[i] }));
        }
        if (a.ClockPizza?.DistanceIrrelevance is { } q)
        {
            Table("correct_logits.csv", "a_plus_b_mod_p,a_minus_b_mod_p,correct_logit", Map(q.CorrectLogits, a.P));
        }
        if (a.ClockPizza?.GradientSymmetricity is { } g)
        {
            Table("gradient_symmetricity.csv", "a,b,c,cosine",
                g.Triples.Select((t, i) => new object[] { t.A, t.B, t.C, g.Cosines[i] }));
        }
        foreach (var outcome in a.Sections.Where(o => o.Result is not null))
            foreach (var (file, text) in outcome.Result!.Tables())
            {
                var name = $"{outcome.Section.Id}_{file}";
                AtomicFile.WriteText(Path.Combine(dir, name), text);
                written.Add(name);
            }
        return written;
    }

    /// <summary>The clock-vs-pizza scatter: one row per model.</summary>
    public static string ClockPizza(IReadOnlyList<ReportModel> models)
    {
        var sb = new StringBuilder("model,distance_irrelevance,gradient_symmetricity,verdict\n");
        foreach (var m in models)
        {
            if (m.Analysis.ClockPizza is not { } cp) continue;
            sb.Append(string.Join(",", Format(m.Analysis.Name), Format(cp.DistanceIrrelevance?.Value ?? double.NaN),
                Format(cp.GradientSymmetricity?.Value ?? double.NaN), cp.Verdict.Name())).Append('\n');
        }
        return sb.ToString();
    }

    private static string Format(object v) => v switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        string s => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s,
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };
}
