using BitOnnx.Analysis.Fourier;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;

namespace BitOnnx.Analysis.Analyses;

/// <summary>
/// An MLP's neurons grouped by the key frequency they cluster at, as <see cref="NeuronFourierAnalysis"/> finds it:
/// a neuron joins group <c>f=F</c> when its best frequency F explains at least
/// <see cref="KeyFrequencyOptions.NeuronClusterMinFve"/> of its variance and F is a key frequency (its cluster holds
/// at least <see cref="KeyFrequencyOptions.NeuronClusterMinFraction"/> of the neurons); dead neurons, neurons below the
/// threshold and neurons of clusters too small to be key go to one group, <see cref="Other"/>. The groups are the
/// nodes <c>bitonnx circuit --mlp-groups frequency</c> splits the MLP into.
/// </summary>
public static class FrequencyGroups
{
    /// <summary>The label of the group of neurons that cluster at no key frequency.</summary>
    public const string Other = "other";

    /// <summary>The groups of <paramref name="neurons"/>'s analysis: key frequencies ascending, then <see cref="Other"/> when any neuron is left.</summary>
    public static MlpPartition Of(NeuronFourierResult neurons, KeyFrequencyOptions options)
    {
        var keys = neurons.KeyFrequencies.ToHashSet();
        var byFrequency = new SortedDictionary<int, List<int>>();
        var other = new List<int>();
        for (var n = 0; n < neurons.DMlp; n++)
        {
            var f = neurons.BestFrequency[n];
            if (!double.IsNaN(neurons.BestFve[n]) && neurons.BestFve[n] >= options.NeuronClusterMinFve && keys.Contains(f))
            {
                if (!byFrequency.TryGetValue(f, out var list)) byFrequency[f] = list = [];
                list.Add(n);
            }
            else
            {
                other.Add(n);
            }
        }
        var groups = byFrequency.Select(kv => new MlpGroup($"f={kv.Key}", kv.Value)).ToList();
        if (other.Count > 0) groups.Add(new MlpGroup(Other, other));
        return MlpPartition.Of(neurons.DMlp, groups);
    }

    /// <summary>
    /// The groups of the MLP of block <paramref name="layer"/> from its activations (<c>hook_post</c>) at the <c>=</c>
    /// position over all P² pairs.
    /// </summary>
    public static MlpPartition Of(IProbeSource probes, int layer, KeyFrequencyOptions? options = null)
    {
        options ??= new KeyFrequencyOptions();
        var post = probes.Get(HookNames.MlpPost(layer));
        var activations = ProbeViews.PositionSlice(post, probes.P, ProbeViews.EqualsPosition);
        var neurons = NeuronFourierAnalysis.Analyze(new FourierBasis(probes.P), activations, ProbeViews.Width(post), [], options);
        return Of(neurons, options);
    }

    /// <summary>
    /// The groups of the MLP of block <paramref name="layer"/> of the exported model at <paramref name="path"/>, run over
    /// all P² pairs on ONNX Runtime; a <see cref="MissingProbesException"/> when the export has no <c>hook_post</c> probe.
    /// </summary>
    public static MlpPartition Of(string path, int layer, KeyFrequencyOptions? options = null, int threads = 0)
    {
        var probes = OnnxProbeSource.Open(path, options: new OnnxProbeOptions
        {
            Outputs = [HookNames.MlpPost(layer)],
            Session = new global::BitOnnx.Onnx.Runtime.ModelSessionOptions { Threads = threads },
        });
        return Of(probes, layer, options);
    }
}
