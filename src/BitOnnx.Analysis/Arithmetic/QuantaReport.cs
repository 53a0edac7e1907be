using System.Globalization;
using System.Text;
using System.Text.Json;
using BitOnnx.Core.Checkpoints;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>
/// Writes a <see cref="QuantaToolsResult"/> into a folder: report.md (useful positions, useful nodes with their impact
/// and classes, attention tags, interventions, the maps and PCAs as images), quanta-map-KIND.svg for each map,
/// pca-NODE.svg for each PCA and quanta.json with the numbers. Every file through AtomicFile.
/// </summary>
public static class QuantaReport
{
    public static IReadOnlyList<string> Write(string folder, QuantaToolsResult result, string model)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        void Put(string name, string text)
        {
            var path = Path.Combine(folder, name);
            AtomicFile.WriteText(path, text);
            written.Add(path);
        }
        foreach (var map in result.Maps) Put($"quanta-map-{map.Kind}.svg", QuantaMapSvg.Svg(map, model));
        foreach (var pca in result.Pcas) Put($"pca-{pca.Node.Name}.svg", PcaSvg.Svg(pca));
        Put("quanta.json", Json(result, model));
        Put("report.md", Markdown(result, model));
        return written;
    }

    public static string Markdown(QuantaToolsResult r, string model)
    {
        var s = new StringBuilder();
        var I = CultureInfo.InvariantCulture;
        s.Append(I, $"# Quirke et al.'s tools on {model}\n\n");
        s.Append(I, $"Task {r.Task.Name}; {r.QuestionsDrawn} questions drawn as training draws them, {r.CleanFailures.Count} answered wrongly without any ablation and set aside, ")
            .Append(I, $"{r.Questions.Count} asked. A question fails when any answer token, read teacher-forced as the argmax at the position before it, is wrong.\n\n");
        foreach (var f in r.CleanFailures.Take(10)) s.Append(I, $"- failed without ablation: `{f}`\n");
        if (r.CleanFailures.Count > 0) s.Append('\n');

        s.Append("## Useful positions\n\nEach position mean-ablated in hook_resid_post of every layer (the mean of blocks.0.hook_resid_post there, as theirs).\n\n");
        s.Append("| position | name | fails | fail % | impact | classes |\n| --- | --- | --- | --- | --- | --- |\n");
        foreach (var p in r.Positions)
            s.Append(I, $"| P{p.Position} | {p.Name} | {p.Outcome.Fails} | {p.Outcome.FailPercent} | {p.Outcome.Impact} | {p.Outcome.Classes} |\n");
        s.Append(I, $"\nUseful positions: {string.Join(", ", r.UsefulPositions.Select(p => "P" + p))}.\n\n");

        s.Append("## Useful nodes\n\nEach head (its hook_z slice) and MLP (mlp.hook_post) mean-ablated alone at each useful position; only nodes where some question fails are listed.\n\n");
        s.Append("| node | fails | fail % | impact | classes | tags of the broken digits | attention |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var n in r.UsefulNodes)
        {
            var tags = r.Attention.TryGetValue(n.Node.Name, out var t) ? string.Join(" ", t.Select(x => x.Text)) : "";
            s.Append(I, $"| {n.Node.Name} | {n.Outcome.Fails} | {n.Outcome.FailPercent} | {n.Outcome.Impact} | {n.Outcome.Classes} | {n.Outcome.DigitTagCounts} | {tags} |\n");
        }
        s.Append("\n## Quanta maps\n\n");
        foreach (var map in r.Maps) s.Append(I, $"![{map.Title}](quanta-map-{map.Kind}.svg)\n\n");

        s.Append("## Intervention ablation\n\nQuestion A's value of the node written into question B's pass.\n\n");
        foreach (var iv in r.Interventions) s.Append(I, $"- {iv.Describe()}\n");
        s.Append("\n## PCA of heads' hook_z over tri-case questions\n\n");
        s.Append("| node | column | explained variance of PC1, PC2, PC3 |\n| --- | --- | --- |\n");
        foreach (var pca in r.Pcas)
            s.Append(I, $"| {pca.Node.Name} | {pca.Title.Split(' ')[1]} | {string.Join(", ", pca.ExplainedVarianceRatio.Take(3).Select(v => v.ToString("P1", I)))} |\n");
        s.Append('\n');
        foreach (var pca in r.Pcas) s.Append(I, $"![{pca.Title}](pca-{pca.Node.Name}.svg)\n");
        return s.ToString();
    }

    public static string Json(QuantaToolsResult r, string model)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            w.WriteString("task", r.Task.Name);
            w.WriteNumber("questions_drawn", r.QuestionsDrawn);
            w.WriteNumber("questions_asked", r.Questions.Count);
            w.WriteStartArray("clean_failures");
            foreach (var f in r.CleanFailures) w.WriteStringValue(f);
            w.WriteEndArray();
            w.WriteStartArray("positions");
            foreach (var p in r.Positions) { w.WriteStartObject(); w.WriteNumber("position", p.Position); w.WriteString("name", p.Name); Outcome(w, p.Outcome); w.WriteEndObject(); }
            w.WriteEndArray();
            w.WriteStartArray("nodes");
            foreach (var n in r.Nodes)
            {
                w.WriteStartObject();
                w.WriteString("node", n.Node.Name);
                w.WriteNumber("position", n.Node.Position);
                w.WriteNumber("layer", n.Node.Layer);
                if (n.Node.Head is int h) w.WriteNumber("head", h); else w.WriteNull("head");
                Outcome(w, n.Outcome);
                if (r.Attention.TryGetValue(n.Node.Name, out var tags))
                {
                    w.WriteStartArray("attention");
                    foreach (var t in tags) { w.WriteStartObject(); w.WriteNumber("position", t.Position); w.WriteString("name", t.Name); w.WriteNumber("percent", Math.Round(t.Percent, 2)); w.WriteEndObject(); }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("interventions");
            foreach (var iv in r.Interventions)
            {
                w.WriteStartObject();
                w.WriteString("node", iv.Node.Name);
                w.WriteString("a", iv.A.FormatWithAnswer());
                w.WriteString("b", iv.B.FormatWithAnswer());
                w.WriteString("clean", iv.CleanAnswer);
                w.WriteString("intervened", iv.InterveneAnswer);
                w.WriteString("impact", iv.Impact);
                w.WriteString("follows_a", iv.FollowsA);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("pca");
            foreach (var pca in r.Pcas)
            {
                w.WriteStartObject();
                w.WriteString("node", pca.Node.Name);
                w.WriteString("title", pca.Title);
                w.WriteStartArray("explained_variance_ratio");
                foreach (var v in pca.ExplainedVarianceRatio.Take(6)) w.WriteNumberValue(Math.Round(v, 6));
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void Outcome(Utf8JsonWriter w, AblationOutcome o)
    {
        w.WriteNumber("fails", o.Fails);
        w.WriteNumber("fail_percent", o.FailPercent);
        w.WriteString("impact", o.Impact);
        w.WriteString("classes", o.Classes);
        w.WriteStartObject("digit_tags");
        foreach (var (tag, count) in o.DigitTags.OrderBy(t => t.Key, StringComparer.Ordinal)) w.WriteNumber(tag, count);
        w.WriteEndObject();
    }
}
