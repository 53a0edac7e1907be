using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Engine.Training;

/// <summary>
/// Brain-inspired modular training inside the engine's step (Liu, Gan and Tegmark 2023, arXiv 2305.08746): the locality
/// cost's gradient, λ·∂cost/∂w, added to the latent gradient before Grokfast and AdamW, with λ on the authors' schedule
/// (<see cref="BimtSettings.LambdaAt"/>); and the rounds of swaps. Swaps exchange places in <see cref="Layout"/>, never
/// weights: the forward pass, the backward pass and AdamW see the same floats in the same order before and after, so a
/// swap changes nothing but the cost's coordinates, bit for bit (docs/bimt.md).
/// </summary>
public sealed class BimtTraining
{
    private readonly LocalityCost _cost;
    private readonly ParameterSet _factors;
    /// <summary>The λ <see cref="_factors"/> were built for with the current layout; NaN when they must be rebuilt.</summary>
    private double _factorsLambda = double.NaN;

    /// <param name="epochs">The run's planned epochs, which place the schedule's two changes of λ.</param>
    /// <param name="layout">Where earlier swaps put each unit (on resume); null for none yet.</param>
    public BimtTraining(TransformerConfig config, BimtSettings settings, int epochs, NeuronLayout? layout)
    {
        Settings = settings;
        Epochs = epochs;
        _cost = new LocalityCost(config);
        _factors = ParameterSet.Zeros(config);
        Layout = layout?.Clone() ?? NeuronLayout.Identity(config);
    }

    public BimtSettings Settings { get; }
    public int Epochs { get; }

    /// <summary>Where each head and neuron sits now; <see cref="Relocate"/> changes it.</summary>
    public NeuronLayout Layout { get; }

    /// <summary>The cost (without λ) of <paramref name="weights"/> in the current layout.</summary>
    public double Cost(ParameterSet weights) => _cost.Of(weights, Layout);

    /// <summary>Adds λ(<paramref name="step"/>)·∂cost/∂w to <paramref name="gradient"/>; <paramref name="step"/> counts the steps before this one.</summary>
    public void AddGradient(ParameterSet weights, ParameterSet gradient, long step)
    {
        var lambda = Settings.LambdaAt(step, Epochs);
        if (lambda != _factorsLambda)
        {
            _cost.Factors(Layout, lambda, _factors);
            _factorsLambda = lambda;
        }
        _cost.AddGradient(weights, _factors, gradient);
    }

    /// <summary>
    /// One round of swaps, the authors' relocate: block by block, heads and then MLP neurons, the
    /// <see cref="BimtSettings.Candidates"/> units of largest Σ|w| (ties to the lower slot), heaviest first, each try
    /// every other place of its layer and take the swap that lowers the cost most, if any lowers it (ties to the lower
    /// place). A swap changes two units' parts of the cost (<see cref="LocalityCost.Unit"/>), so each try costs two
    /// units' connections, not the whole model.
    /// </summary>
    public IReadOnlyList<NeuronSwap> Relocate(ParameterSet weights, int epoch)
    {
        var swaps = new List<NeuronSwap>();
        var total = Cost(weights);
        for (var block = 0; block < Layout.Blocks; block++)
        {
            foreach (var kind in new[] { NeuronKind.Head, NeuronKind.Neuron })
            {
                var count = Layout.Count(kind);
                var candidates = Enumerable.Range(0, count)
                    .Select(slot => (Slot: slot, Weight: _cost.Weight(weights, block, kind, slot)))
                    .OrderByDescending(c => c.Weight).ThenBy(c => c.Slot)
                    .Take(BimtSettings.Candidates).Select(c => c.Slot).ToList();
                foreach (var slot in candidates)
                {
                    var from = Layout.PlaceOf(block, kind, slot);
                    var here = _cost.Unit(weights, block, kind, slot, from);
                    var (best, to) = (0.0, -1);
                    for (var place = 0; place < count; place++)
                    {
                        if (place == from) continue;
                        var other = Layout.SlotAt(block, kind, place);
                        var change = _cost.Unit(weights, block, kind, slot, place) + _cost.Unit(weights, block, kind, other, from)
                            - here - _cost.Unit(weights, block, kind, other, place);
                        if (change < best) (best, to) = (change, place);
                    }
                    if (to < 0) continue;
                    Layout.Swap(block, kind, from, to);
                    var after = Cost(weights);
                    swaps.Add(new NeuronSwap(epoch, block, kind, from, to, total, after));
                    total = after;
                }
            }
        }
        if (swaps.Count > 0) _factorsLambda = double.NaN;
        return swaps;
    }
}
