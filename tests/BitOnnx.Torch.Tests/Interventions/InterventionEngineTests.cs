using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Model;
using BitOnnx.Torch.Interventions;

namespace BitOnnx.Torch.Tests.Interventions;

/// <summary>
/// Where a write has a twin in the model's weights or inputs, TorchSharp with the write gives the engine's clean logits
/// on the changed weights or inputs: zero ablations are weights zeroed (an MLP's output, a neuron's row of W_out or
/// column of W_in, a head's slice of W_Q, W_K, W_V or W_O, the embeddings, the final norm's gain, W_U); a mean over rows
/// is a new embedding row; resampling and patching with another input's cache are that input's own run.
/// </summary>
[TestClass]
public sealed class InterventionEngineTests
{
    private const int P = 11;

    /// <summary>1e-5 of the logits' magnitude, as ForwardEquivalenceTests: two float32 passes summing in different orders.</summary>
    private const double Tolerance = 1e-5;

    [TestMethod]
    public void ZeroAblationsAreZeroedWeights()
    {
        foreach (var c in InterventionCases.Configs(P))
        {
            var twin = new Twin(c, ModularAdditionData.AllRows(P));
            for (var l = 0; l < c.NLayers; l++)
            {
                int head = l % c.NHeads, neuron = 3 + l;
                twin.Check(Intervention.Zero(HookNames.MlpOut(l)), w => w[ParameterNames.MlpOut(l)].Clear());
                twin.Check(Intervention.Zero(HookNames.MlpPost(l), new HookIndex(Neuron: neuron)), w => w[ParameterNames.MlpOut(l)].Slice(neuron * c.DModel, c.DModel).Clear());
                twin.Check(Intervention.Zero(HookNames.MlpPre(l), new HookIndex(Neuron: neuron)), w =>
                {
                    for (var i = 0; i < c.DModel; i++) w[ParameterNames.MlpIn(l)][i * c.DMlp + neuron] = 0;
                });
                twin.Check(Intervention.Zero(HookNames.AttnOut(l)), w => w[ParameterNames.Output(l)].Clear());
                foreach (var (hook, weight) in new[]
                {
                    (HookNames.Q(l), ParameterNames.Query(l)), (HookNames.K(l), ParameterNames.Key(l)), (HookNames.V(l), ParameterNames.Value(l)),
                    (HookNames.Z(l), ParameterNames.Output(l)), (HookNames.Pattern(l), ParameterNames.Output(l)),
                })
                    twin.Check(Intervention.Zero(hook, new HookIndex(Head: head)), w => w[weight].Slice(head * c.DModel * c.DHead, c.DModel * c.DHead).Clear());
            }
            twin.Check(Intervention.Zero(HookNames.Embed), w => w[ParameterNames.Embed].Clear());
            if (c.PositionalEmbedding) twin.Check(Intervention.Zero(HookNames.PosEmbed), w => w[ParameterNames.PosEmbed].Clear());
            if (c.FinalNorm) twin.Check(Intervention.Zero(HookNames.FinalNormalized), w => w[ParameterNames.FinalNormWeight].Clear());
            twin.Check(Intervention.Zero(HookNames.ResidPost(c.NLayers - 1), new HookIndex(Position: 2)), w => w[ParameterNames.Unembed].Clear());
        }
    }

    /// <summary>
    /// Over rows (a, b₀) with a ≠ u, the mean of hook_embed at position 0 is a token u whose embedding is that mean; and an
    /// embedding the same in every row (the '=' token, W_pos) is its own mean.
    /// </summary>
    [TestMethod]
    public void MeanAblationsAreAMeanEmbedding()
    {
        const int b0 = 3, u = 5;
        var rows = Enumerable.Range(0, P).Where(a => a != u).Select(a => a * P + b0).ToArray();
        foreach (var c in InterventionCases.Configs(P))
        {
            var twin = new Twin(c, rows);
            twin.Check(Intervention.Mean(HookNames.Embed, new HookIndex(Position: 0)), w =>
            {
                var embed = w[ParameterNames.Embed];
                for (var i = 0; i < c.DModel; i++)
                {
                    double sum = 0;
                    foreach (var row in rows) sum += embed[row / P * c.DModel + i];
                    embed[u * c.DModel + i] = (float)(sum / rows.Length);
                }
            }, tokens => tokens.Select((t, i) => i % 3 == 0 ? u : t).ToArray());
            twin.Check(Intervention.Mean(HookNames.Embed, new HookIndex(Position: 2)), _ => { });
            if (c.PositionalEmbedding) twin.Check(Intervention.Mean(HookNames.PosEmbed), _ => { });
        }
    }

    /// <summary>Resampling takes another row's values: its token at position 0, or its whole run.</summary>
    [TestMethod]
    public void ResampleAblationsAreTheSourceRowsRun()
    {
        var rows = ModularAdditionData.AllRows(P);
        foreach (var c in InterventionCases.Configs(P))
        {
            var twin = new Twin(c, rows);
            var sources = HookWrites.OtherRows(rows.Length, Twin.Seed);
            var sourceTokens = Enumerable.Range(0, rows.Length * 3).Select(i => twin.Tokens[sources[i / 3] * 3 + i % 3]).ToArray();
            twin.Check(Intervention.Resample(HookNames.Embed, new HookIndex(Position: 0)), _ => { },
                tokens => tokens.Select((t, i) => i % 3 == 0 ? sourceTokens[i] : t).ToArray());
            foreach (var (hook, index) in new[]
            {
                (HookNames.Embed, HookIndex.All), (HookNames.ResidPre(0), HookIndex.All),
                (HookNames.ResidPost(c.NLayers - 1), new HookIndex(Position: 2)),
            })
                twin.Check(Intervention.Resample(hook, index), _ => { }, _ => sourceTokens);
        }
    }

    /// <summary>Activation patching with a corrupted input's cache (a + 1, or b + 2) gives the corrupted input's logits.</summary>
    [TestMethod]
    public void PatchingACorruptedCacheIsTheCorruptedRun()
    {
        var rows = ModularAdditionData.AllRows(P);
        foreach (var c in InterventionCases.Configs(P))
        {
            var twin = new Twin(c, rows);
            var corruptA = twin.Tokens.Select((t, i) => i % 3 == 0 ? (t + 1) % P : t).ToArray();
            var corruptB = twin.Tokens.Select((t, i) => i % 3 == 1 ? (t + 2) % P : t).ToArray();
            var cacheA = ActivationCache.Run(c, twin.Latent, corruptA);
            var cacheB = ActivationCache.Run(c, twin.Latent, corruptB);
            var last = c.NLayers - 1;
            twin.Check(Intervention.Patch(HookNames.ResidPre(0), cacheA[HookNames.ResidPre(0)].Data), _ => { }, _ => corruptA);
            twin.Check(Intervention.Patch(HookNames.ResidPre(last), cacheA[HookNames.ResidPre(last)].Data), _ => { }, _ => corruptA);
            twin.Check(Intervention.Patch(HookNames.ResidPost(last), cacheA[HookNames.ResidPost(last)].Data, new HookIndex(Position: 2)), _ => { }, _ => corruptA);
            twin.Check(Intervention.Patch(HookNames.Embed, cacheB[HookNames.Embed].Data, new HookIndex(Position: 1)), _ => { }, _ => corruptB);
            if (c.FinalNorm)
                twin.Check(Intervention.Patch(HookNames.FinalNormalized, cacheB[HookNames.FinalNormalized].Data, new HookIndex(Position: 2)), _ => { }, _ => corruptB);
        }
    }

    /// <summary>One config's model in both backends: TorchSharp on the latent weights, the engine on the effective ones.</summary>
    private sealed class Twin
    {
        public const int Seed = 9;
        private readonly TransformerConfig _c;
        private readonly ParameterSet _effective;
        private readonly ActivationCache _clean;

        public Twin(TransformerConfig c, int[] rows)
        {
            _c = c;
            Latent = ParameterInitializer.Initialize(c, seed: 17);
            _effective = InterventionCases.Effective(c, Latent);
            Tokens = InterventionCases.Tokens(P, rows);
            _clean = ActivationCache.Run(c, Latent, Tokens);
        }

        public ParameterSet Latent { get; }
        public int[] Tokens { get; }

        /// <summary>TorchSharp with the intervention against the engine in full precision on the edited weights and tokens.</summary>
        public void Check(Intervention intervention, Action<ParameterSet> editWeights, Func<int[], int[]>? editTokens = null)
        {
            var rows = Tokens.Length / 3;
            var writes = HookWrites.Resolve(_c, [intervention], rows, name => _clean[name].Data, Seed);
            using var model = InterventionCases.Model(_c, Latent);
            var actual = model.RunWithHooks(Tokens, writes).Logits;
            var weights = _effective.Clone();
            editWeights(weights);
            var expected = ActivationCache.Run(InterventionCases.FullPrecision(_c), weights, editTokens?.Invoke(Tokens) ?? Tokens)[HookNames.Logits].Data;
            var error = EngineReference.RelativeError(actual, expected);
            var label = $"{InterventionCases.Describe(_c)} {intervention.Kind} {intervention.Component}";
            Assert.IsTrue(error <= Tolerance, $"{label}: logits relative error {error:E2}");
            // The write matters: the clean logits are not the expected ones (but for writes of what was there already).
            if (!expected.SequenceEqual(_clean[HookNames.Logits].Data))
                Assert.IsTrue(EngineReference.RelativeError(_clean[HookNames.Logits].Data, expected) > 100 * Tolerance, $"{label}: the twin barely moves the logits");
        }
    }
}
