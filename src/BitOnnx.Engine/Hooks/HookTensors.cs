using BitOnnx.Core.Model;

namespace BitOnnx.Engine.Hooks;

/// <summary>
/// One float tensor per hook of a model, in forward order, with the names and shapes of <see cref="HookNames.For"/>:
/// the activations of a <see cref="HookedRun"/>, or the gradients of a metric with respect to them.
/// </summary>
public sealed class HookTensors
{
    private readonly Dictionary<string, NamedTensor> _byName;

    /// <summary>Takes <paramref name="data"/> by hook name; every hook of the config must be there, at its shape.</summary>
    internal HookTensors(TransformerConfig config, int rows, IReadOnlyDictionary<string, float[]> data)
    {
        var tensors = new List<NamedTensor>();
        foreach (var (name, shape) in HookNames.For(config, rows))
        {
            var values = data[name];
            if (values.Length != shape.Size)
                throw new InvalidOperationException($"Hook '{name}' holds {values.Length} values; its shape {shape} needs {shape.Size}.");
            tensors.Add(new NamedTensor(name, shape, values));
        }
        InOrder = tensors;
        _byName = tensors.ToDictionary(t => t.Name);
    }

    /// <summary>Every hook, in the order the forward pass reaches it.</summary>
    public IReadOnlyList<NamedTensor> InOrder { get; }

    public IReadOnlyDictionary<string, NamedTensor> Tensors => _byName;

    public NamedTensor this[string hook] => _byName.TryGetValue(hook, out var t)
        ? t
        : throw new KeyNotFoundException($"No hook '{hook}'. Hooks: {string.Join(", ", _byName.Keys)}.");
}
