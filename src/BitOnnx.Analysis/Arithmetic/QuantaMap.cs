using System.Globalization;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>One cell of a quanta map: its text and a shade from 0 (pale) to 1 (strong).</summary>
public sealed record QuantaCell(string Text, double Shade);

/// <summary>
/// A quanta map as Quirke et al. draw them (quanta_map.py): useful positions across, the model's components (L0H0 …
/// L0MLP, L1H0 …) down, and in the cell of each useful node one of its tags, shaded by it. Cells of nodes that are not
/// useful are null (empty in the drawing).
/// </summary>
public sealed record QuantaMap(string Title, string Kind, IReadOnlyList<int> Positions, IReadOnlyList<string> PositionNames, IReadOnlyList<string> Components, QuantaCell?[][] Cells)
{
    /// <summary>The kinds of map <see cref="Build"/> makes.</summary>
    public static readonly string[] Kinds = ["fail", "impact", "classes", "attention"];

    /// <summary>
    /// The map of <paramref name="kind"/>: "fail" (the fail percentage, shaded by it), "impact" (the answer digits that
    /// break, shaded by the largest), "classes" (the quanta classes of the failed questions, shaded by the lowest class,
    /// as their colour index reads the tag's first digit) or "attention" (the node's strongest attention tag, shaded by
    /// its share).
    /// </summary>
    public static QuantaMap Build(string kind, ArithmeticQuestionSet set, IReadOnlyList<NodeAblation> nodes, IReadOnlyDictionary<string, IReadOnlyList<AttentionTag>> attention, int layers, int heads)
    {
        var useful = nodes.Where(n => n.Outcome.Useful).ToArray();
        var positions = useful.Select(n => n.Node.Position).Distinct().Order().ToArray();
        var components = Enumerable.Range(0, layers).SelectMany(l => Enumerable.Range(0, heads)
            .Select(h => new QuantaNode(0, l, h).Component).Append(new QuantaNode(0, l, null).Component)).ToArray();
        var cells = components.Select(_ => new QuantaCell?[positions.Length]).ToArray();
        int maxDigit = set.Task.Digits + 1;
        foreach (var node in useful)
        {
            var cell = kind switch
            {
                "fail" => new QuantaCell(node.Outcome.FailPercent.ToString(CultureInfo.InvariantCulture), node.Outcome.FailPercent / 100.0),
                "impact" => new QuantaCell(node.Outcome.Impact, LeadingDigit(node.Outcome.Impact) / (double)maxDigit),
                "classes" => new QuantaCell(node.Outcome.Classes, LeadingDigit(node.Outcome.Classes) / 5.0),
                "attention" => attention.TryGetValue(node.Node.Name, out var tags) && tags.Count > 0
                    ? new QuantaCell(tags[0].Short, tags[0].Percent / 100.0) : null,
                _ => throw new AnalysisInputException($"'{kind}' is not a quanta map; give one of {string.Join(", ", Kinds)}."),
            };
            if (cell is null) continue;
            cells[Array.IndexOf(components, node.Node.Component)][Array.IndexOf(positions, node.Node.Position)] = cell;
        }
        string title = kind switch
        {
            "fail" => "Fail % when each useful node is mean-ablated",
            "impact" => "Answer digits that break when each useful node is mean-ablated",
            "classes" => "Quanta classes of the questions that fail when each useful node is mean-ablated",
            _ => "Where each useful head attends most (averaged attention, %)",
        };
        return new QuantaMap(title, kind, positions, positions.Select(set.PositionName).ToArray(), components, cells);
    }

    /// <summary>The first digit of a tag ("A5..2" → 5, "S345" → 3), 0 when it has none.</summary>
    private static int LeadingDigit(string tag)
    {
        foreach (var c in tag) if (char.IsAsciiDigit(c)) return c - '0';
        return 0;
    }
}
