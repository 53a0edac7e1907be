using System.Text.Json;
using System.Text.Json.Nodes;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Training;

/// <summary>What moves in a BIMT swap: a whole attention head, or one MLP neuron.</summary>
public enum NeuronKind
{
    Head,
    Neuron,
}

/// <summary>
/// Where BIMT has put every attention head and MLP neuron of each block: the place (0-based position on its layer's
/// line) of the unit in each slot (its index in the weights a backend trains). A backend never moves a weight: a swap
/// exchanges two units' places, so training is untouched bit for bit, and <see cref="Apply"/> lays any tensor set
/// (weights, AdamW's moments, Grokfast's average) out by place, exactly as if the swaps had permuted them. The run
/// folder holds weights laid out; <see cref="Restore"/> returns them to their slots on resume.
/// </summary>
public sealed class NeuronLayout : IEquatable<NeuronLayout>
{
    // [block][kind]: place of the unit in each slot, and the slot at each place.
    private readonly int[][][] _places;
    private readonly int[][][] _slots;

    private NeuronLayout(TransformerConfig config, int[][][] places)
    {
        Config = config;
        _places = places;
        _slots = places.Select(block => block.Select(Inverse).ToArray()).ToArray();
    }

    public TransformerConfig Config { get; }

    /// <summary>Every unit at the place of its slot (no swap yet).</summary>
    public static NeuronLayout Identity(TransformerConfig config)
    {
        config.Validated();
        return new NeuronLayout(config, Enumerable.Range(0, config.NLayers)
            .Select(_ => new[] { Enumerable.Range(0, config.NHeads).ToArray(), Enumerable.Range(0, config.DMlp).ToArray() })
            .ToArray());
    }

    public int Blocks => _places.Length;

    /// <summary>Units of a kind per block: n_heads or d_mlp.</summary>
    public int Count(NeuronKind kind) => kind == NeuronKind.Head ? Config.NHeads : Config.DMlp;

    public int PlaceOf(int block, NeuronKind kind, int slot) => _places[block][(int)kind][slot];

    public int SlotAt(int block, NeuronKind kind, int place) => _slots[block][(int)kind][place];

    public bool IsIdentity => _places.All(block => block.All(p => p.Select((place, slot) => place == slot).All(same => same)));

    /// <summary>Exchanges the units at places <paramref name="a"/> and <paramref name="b"/>.</summary>
    public void Swap(int block, NeuronKind kind, int a, int b)
    {
        var (places, slots) = (_places[block][(int)kind], _slots[block][(int)kind]);
        var (slotA, slotB) = (slots[a], slots[b]);
        (places[slotA], places[slotB]) = (b, a);
        (slots[a], slots[b]) = (slotB, slotA);
    }

    public NeuronLayout Clone() => new(Config, _places.Select(block => block.Select(p => (int[])p.Clone()).ToArray()).ToArray());

    /// <summary>
    /// A copy of <paramref name="slots"/> (any set in the config's parameter layout) with each unit's weights at its
    /// place: a head's slab of W_Q, W_K, W_V and W_O, a neuron's column of W_in and row of W_out. Only moves floats.
    /// </summary>
    public ParameterSet Apply(ParameterSet slots) => Permute(slots, toPlaces: true);

    /// <summary>The inverse of <see cref="Apply"/>: weights laid out by place back in their slots.</summary>
    public ParameterSet Restore(ParameterSet laidOut) => Permute(laidOut, toPlaces: false);

    private ParameterSet Permute(ParameterSet source, bool toPlaces)
    {
        var result = source.Clone();
        if (IsIdentity) return result;
        int d = Config.DModel, m = Config.DMlp;
        for (var l = 0; l < Blocks; l++)
        {
            var heads = _places[l][(int)NeuronKind.Head];
            foreach (var name in new[] { ParameterNames.Query(l), ParameterNames.Key(l), ParameterNames.Value(l), ParameterNames.Output(l) })
            {
                var from = source[name];
                var to = result[name];
                var slab = from.Length / heads.Length;
                for (var s = 0; s < heads.Length; s++)
                {
                    var (src, dst) = toPlaces ? (s, heads[s]) : (heads[s], s);
                    from.Slice(src * slab, slab).CopyTo(to.Slice(dst * slab, slab));
                }
            }
            var neurons = _places[l][(int)NeuronKind.Neuron];
            var inFrom = source[ParameterNames.MlpIn(l)];
            var inTo = result[ParameterNames.MlpIn(l)];
            var outFrom = source[ParameterNames.MlpOut(l)];
            var outTo = result[ParameterNames.MlpOut(l)];
            for (var s = 0; s < m; s++)
            {
                var (src, dst) = toPlaces ? (s, neurons[s]) : (neurons[s], s);
                for (var r = 0; r < d; r++) inTo[r * m + dst] = inFrom[r * m + src];
                outFrom.Slice(src * d, d).CopyTo(outTo.Slice(dst * d, d));
            }
        }
        return result;
    }

    /// <summary>
    /// The layout as the resume state records it: {"blocks":[{"heads":[…],"neurons":[…]}]}, each list the place of the
    /// unit in each slot.
    /// </summary>
    public string ToJson() =>
        new JsonObject
        {
            ["blocks"] = new JsonArray(_places.Select(block => (JsonNode)new JsonObject
            {
                ["heads"] = new JsonArray(block[(int)NeuronKind.Head].Select(p => (JsonNode)p).ToArray()),
                ["neurons"] = new JsonArray(block[(int)NeuronKind.Neuron].Select(p => (JsonNode)p).ToArray()),
            }).ToArray()),
        }.ToJsonString();

    /// <summary>Reads <see cref="ToJson"/>'s text for <paramref name="config"/>; <paramref name="path"/> names the file in errors.</summary>
    public static NeuronLayout Parse(string json, TransformerConfig config, string path)
    {
        var fail = () => new CheckpointException(path,
            $"'{path}' has an unreadable BIMT layout: expected {config.NLayers} blocks, each with a permutation of {config.NHeads} heads and of {config.DMlp} neurons. Start the run again without --resume.");
        try
        {
            var blocks = JsonNode.Parse(json)?["blocks"]?.AsArray() ?? throw fail();
            if (blocks.Count != config.NLayers) throw fail();
            var places = blocks.Select(b => new[]
            {
                Permutation(b?["heads"], config.NHeads) ?? throw fail(),
                Permutation(b?["neurons"], config.DMlp) ?? throw fail(),
            }).ToArray();
            return new NeuronLayout(config, places);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw fail();
        }
    }

    private static int[]? Permutation(JsonNode? node, int count)
    {
        var values = node?.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        return values is not null && values.Length == count && values.Order().SequenceEqual(Enumerable.Range(0, count)) ? values : null;
    }

    private static int[] Inverse(int[] places)
    {
        var slots = new int[places.Length];
        for (var s = 0; s < places.Length; s++) slots[places[s]] = s;
        return slots;
    }

    public bool Equals(NeuronLayout? other) =>
        other is not null && Config == other.Config && _places.Zip(other._places).All(p => p.First.Zip(p.Second).All(k => k.First.SequenceEqual(k.Second)));

    public override bool Equals(object? obj) => Equals(obj as NeuronLayout);

    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);
}
