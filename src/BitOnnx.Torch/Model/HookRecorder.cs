using TorchSharp;

namespace BitOnnx.Torch.Model;

/// <summary>
/// Keeps detached copies of the activations a forward pass shows it, under the engine's TransformerLens hook names
/// (BitOnnx.Core.Model.HookNames); a forward pass without a recorder records nothing and costs nothing extra.
/// </summary>
public sealed class HookRecorder : IDisposable
{
    private readonly Dictionary<string, torch.Tensor> _tensors = [];

    public IReadOnlyDictionary<string, torch.Tensor> Tensors => _tensors;

    internal void Record(string name, torch.Tensor activation)
    {
        var copy = activation.detach().contiguous().clone();
        copy.DetachFromDisposeScope();
        _tensors[name] = copy;
    }

    /// <summary>The activation as row-major floats.</summary>
    public float[] Values(string name) => _tensors[name].data<float>().ToArray();

    public long[] ShapeOf(string name) => _tensors[name].shape;

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
    }
}
