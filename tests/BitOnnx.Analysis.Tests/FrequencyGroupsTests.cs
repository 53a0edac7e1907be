using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.Fourier;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

/// <summary>
/// <see cref="FrequencyGroups"/> on planted MLP activations: neurons planted at two key frequencies form those groups
/// exactly, and dead neurons, noise and a frequency too rare to be key go to "other"; the groups are the clusters the
/// neuron analysis reports; and a circuit file over them reads back onto the same graph.
/// </summary>
[TestClass]
public sealed class FrequencyGroupsTests
{
    private const int P = 29;
    private const int DMlp = 60;

    /// <summary>hook_post [P², 3, DMlp] (the = position planted, the others 0) and each neuron's planted frequency (0: not clustered at a key one).</summary>
    private static (InMemoryProbeSource Probes, int[] Planted) Planted()
    {
        var random = new Random(41);
        // 20 neurons at f = 4, 15 at f = 11, one alone at f = 7 (a cluster of 1 is below the 2% that makes a frequency key), 4 dead, 20 noise.
        var kinds = Enumerable.Repeat(4, 20).Concat(Enumerable.Repeat(11, 15)).Append(7).Concat(Enumerable.Repeat(-1, 4)).Concat(Enumerable.Repeat(0, 20))
            .OrderBy(_ => random.Next()).ToArray();
        var phase = kinds.Select(_ => random.NextDouble() * 2 * Math.PI).ToArray();
        var data = new float[P * P * 3 * DMlp];
        for (var a = 0; a < P; a++)
            for (var b = 0; b < P; b++)
                for (var n = 0; n < DMlp; n++)
                {
                    var w = 2 * Math.PI * kinds[n] / P;
                    var value = kinds[n] switch
                    {
                        -1 => 0.5,
                        0 => random.NextDouble(),
                        _ => 1 + Math.Cos(w * (a + b) + phase[n]),
                    };
                    data[((a * P + b) * 3 + 2) * DMlp + n] = (float)value;
                }
        var probes = new InMemoryProbeSource(P).Add(HookNames.MlpPost(0), data, P * P, 3, DMlp);
        return (probes, kinds.Select(k => k is 4 or 11 ? k : 0).ToArray());
    }

    [TestMethod]
    public void PlantedFrequenciesAreTheGroupsAndTheRestIsOther()
    {
        var (probes, planted) = Planted();
        var partition = FrequencyGroups.Of(probes, 0);
        CollectionAssert.AreEqual(new[] { "f=4", "f=11", FrequencyGroups.Other }, partition.Groups.Select(g => g.Label).ToArray());
        foreach (var (label, f) in new[] { ("f=4", 4), ("f=11", 11), (FrequencyGroups.Other, 0) })
            CollectionAssert.AreEqual(Enumerable.Range(0, DMlp).Where(n => planted[n] == f).ToArray(), partition.Groups.Single(g => g.Label == label).Neurons.ToArray(), label);
    }

    [TestMethod]
    public void TheGroupsAreTheClustersTheNeuronAnalysisReports()
    {
        var (probes, _) = Planted();
        var post = probes.Get(HookNames.MlpPost(0));
        var options = new KeyFrequencyOptions();
        var neurons = NeuronFourierAnalysis.Analyze(new FourierBasis(P), ProbeViews.PositionSlice(post, P, ProbeViews.EqualsPosition), DMlp, [], options);
        var partition = FrequencyGroups.Of(neurons, options);
        CollectionAssert.AreEqual(new[] { 4, 11 }, neurons.KeyFrequencies);
        foreach (var f in neurons.KeyFrequencies)
            Assert.AreEqual(neurons.ClusterSizes[f], partition.Groups.Single(g => g.Label == $"f={f}").Neurons.Count, $"f = {f}");
        Assert.AreEqual(DMlp - neurons.KeyFrequencies.Sum(f => neurons.ClusterSizes[f]), partition.Groups.Single(g => g.Label == FrequencyGroups.Other).Neurons.Count);
        Assert.AreEqual(4, neurons.Stats.Dead, "the planted dead neurons are dead");
    }

    [TestMethod]
    public void ACircuitOverTheGroupsReadsBackOntoTheSameGraph()
    {
        var (probes, _) = Planted();
        var partition = FrequencyGroups.Of(probes, 0);
        var config = TransformerConfig.Li2024 with { P = P, DModel = 16, NHeads = 2, DHead = 8, DMlp = DMlp };
        var graph = CircuitGraph.Of(config, partition);
        var path = Path.Combine(Path.GetTempPath(), $"frequency-groups-{Environment.ProcessId}.json");
        try
        {
            var found = new FoundCircuit(0.01, graph.Edges.Count, [new ScoredEdge("blocks.0.mlp[f=11]", "logits", 1.5)], 0.02, 0.98, 1);
            CircuitJson.Write(path, new CircuitReport(CircuitMethod.Acdc, CircuitMetric.KlDivergence, Corruption.Resample, 0, P * P, graph.Edges.Count, 0, 1, [found])
            {
                MlpGroups = partition.Groups.Count,
                MlpPartition = partition,
            });
            var input = CircuitInput.Read(path, config, "planted");
            CollectionAssert.AreEqual(graph.Edges.Select(e => e.Name).ToList(), input.Graph.Edges.Select(e => e.Name).ToList());
            CollectionAssert.AreEqual(partition.Groups.SelectMany(g => g.Neurons).ToArray(), input.Graph.Partition.Groups.SelectMany(g => g.Neurons).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
