using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>One position a head attends to from its node: the position, its name (D2, D'2) and its share of the attention in percent.</summary>
public sealed record AttentionTag(int Position, string Name, double Percent)
{
    /// <summary>Their tag, "P14=35", with the position's name: "P14=35 (D'2)".</summary>
    public string Text => string.Create(CultureInfo.InvariantCulture, $"P{Position}={Percent:F0} ({Name})");

    /// <summary>The short form a quanta map cell shows: "D'2=35".</summary>
    public string Short => string.Create(CultureInfo.InvariantCulture, $"{Name}={Percent:F0}");
}

/// <summary>
/// Quirke et al.'s attention tags: blocks.L.attn.hook_pattern averaged over the question set, and for a head at a
/// query position the (up to) four key positions it attends to most, each with its share of the row's attention,
/// kept when the share is at least 1% (their add_node_attention_tags).
/// </summary>
public static class AttentionTags
{
    public const int MaxTags = 4;
    public const double MinPercent = 1.0;

    /// <summary>The tags of every head node given (MLP nodes get none), by node name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<AttentionTag>> Of(IHookedSequenceModel model, ArithmeticQuestionSet set, IEnumerable<QuantaNode> nodes)
    {
        var c = model.Config;
        var heads = nodes.Where(n => n.IsHead).DistinctBy(n => n.Name).ToArray();
        var hooks = heads.Select(n => HookNames.Pattern(n.Layer)).Distinct().ToArray();
        var means = hooks.Length == 0 ? new Dictionary<string, float[]>() : HookMeans.Of(model, set, hooks);
        var tags = new Dictionary<string, IReadOnlyList<AttentionTag>>(StringComparer.Ordinal);
        int t = set.Length;
        foreach (var node in heads)
        {
            var row = means[HookNames.Pattern(node.Layer)].AsSpan((node.Head!.Value * t + node.Position) * t, t); // [heads, q, k]
            tags[node.Name] = Top(row, set);
        }
        return tags;
    }

    /// <summary>The tags of one averaged pattern row over key positions.</summary>
    public static IReadOnlyList<AttentionTag> Top(ReadOnlySpan<float> row, ArithmeticQuestionSet set)
    {
        double total = 0;
        foreach (var w in row) total += w;
        var order = Enumerable.Range(0, row.Length).ToArray();
        var weights = row.ToArray();
        // The largest first, the earlier position first among equals (a stable sort).
        order = [.. order.OrderByDescending(k => weights[k])];
        var tags = new List<AttentionTag>(MaxTags);
        foreach (var k in order.Take(MaxTags))
        {
            double percent = total > 0 ? 100.0 * weights[k] / total : 0;
            if (percent >= MinPercent) tags.Add(new AttentionTag(k, set.PositionName(k), percent));
        }
        return tags;
    }
}
