using BitOnnx.Analysis.Inputs;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;

namespace BitOnnx.Analysis.Onnx;

/// <summary>
/// An ONNX model as a function of its token embeddings, for gradient symmetricity by central differences: either a token
/// model rewritten by <see cref="EmbeddedInputSurgery"/> (and by <see cref="DoublePrecisionRewrite"/> to float64 when its
/// operators allow), or an embedded-input export (<c>bitonnx export --embedded-input --double</c>).
/// <see cref="Description"/> says which, for the report. Dispose to release the session.
/// </summary>
public sealed class OnnxEmbeddedLogits : IEmbeddedLogits, IDisposable
{
    /// <summary>Relative step for float64 graphs: rounding error ≈ 1e-16·|logit|/h stays negligible, and ReLU kinks are rarely crossed.</summary>
    public const double DoubleRelativeStep = 1e-4;

    /// <summary>Relative step for float32 graphs: ≈ ε^(1/3), balancing rounding (ε·|logit|/h) against truncation (h²).</summary>
    public const double FloatRelativeStep = 1e-2;

    private readonly ModelSession _session;

    private OnnxEmbeddedLogits(OnnxModel graph, ModelSession session, int p, int dModel, bool doublePrecision, string description)
    {
        Graph = graph;
        _session = session;
        P = p;
        DModel = dModel;
        DoublePrecision = doublePrecision;
        Description = description;
    }

    /// <summary>The graph that runs (after surgery, when there was one).</summary>
    public OnnxModel Graph { get; }

    /// <summary>The modulus (logits columns).</summary>
    public int P { get; }

    /// <inheritdoc />
    public int DModel { get; }

    /// <inheritdoc />
    public int NCtx => ModularAdditionGraph.NCtx;

    /// <summary>True when the graph computes in float64.</summary>
    public bool DoublePrecision { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public double RecommendedRelativeStep => DoublePrecision ? DoubleRelativeStep : FloatRelativeStep;

    /// <summary>
    /// Rewrites a token model: <c>hook_embed</c> becomes the input <c>embedded</c>, the nodes that produced it and the
    /// <c>tokens</c> input go; then float64 when <paramref name="promoteToDouble"/> and the operators allow it.
    /// </summary>
    public static OnnxEmbeddedLogits FromTokenModel(OnnxModel model, string name, bool promoteToDouble = true, ModelSessionOptions? options = null)
    {
        int p = ModularAdditionGraph.Read(model, name).P;
        var rewritten = EmbeddedInputSurgery.Apply(model, name, out int dModel);
        if (rewritten.Graph.Node.Any(n => n.OpType == "DynamicQuantizeLinear"))
        {
            throw new ModelContractException(
                $"Model '{name}' rounds its activations to 8 bits on every call (DynamicQuantizeLinear, --weights int2 or int8-dynamic), so its logits are " +
                "piecewise constant in the embeddings and central differences measure the rounding, not the model. Analyse the float, int8 or int2-exact " +
                "export of the same checkpoint, or give an embedded-input export (bitonnx export --embedded-input --double).");
        }
        string surgery = $"graph surgery on '{name}' (hook_embed made the input 'embedded'; the embedding Gather and the tokens input removed)";
        string? why = "not asked for";
        if (promoteToDouble && DoublePrecisionRewrite.TryApply(rewritten, out why) is { } promoted)
        {
            try
            {
                return new OnnxEmbeddedLogits(promoted, ModelSession.FromModel(promoted, name, options), p, dModel, true, surgery + ", rewritten to float64");
            }
            catch (ModelSessionException e) when (e is not ExecutionProviderUnavailableException)
            {
                why = $"ONNX Runtime rejected the float64 graph: {e.Message}";
            }
        }
        bool isDouble = InputElement(rewritten) == TensorElementType.Double;
        return new OnnxEmbeddedLogits(rewritten, ModelSession.FromModel(rewritten, name, options), p, dModel, isDouble,
            surgery + (isDouble ? ", float64 as exported" : $", float32 (float64 rewrite: {why})"));
    }

    /// <summary>Uses an embedded-input export as it is (input <c>embedded</c> [batch, 3, d_model]).</summary>
    public static OnnxEmbeddedLogits FromEmbeddedExport(OnnxModel model, string name, ModelSessionOptions? options = null)
    {
        int p = ExportMetadata.ReadP(model, name);
        var input = model.Inputs.FirstOrDefault(i => i.Name == ModelContract.Embedded)
            ?? throw new ModelContractException(
                $"Model '{name}' has no input '{ModelContract.Embedded}'; export it with `bitonnx export ... --embedded-input --double`.");
        if (input.Shape is not { Count: 3 } shape || shape[2].Size is not long width || shape[1].Size is long n && n != ModularAdditionGraph.NCtx)
            throw new ModelContractException($"Model '{name}': input '{input.Name}' has shape {Dim.Format(input.Shape)}; expected [batch, {ModularAdditionGraph.NCtx}, d_model].");
        bool isDouble = input.ElementType == TensorElementType.Double;
        if (!isDouble && input.ElementType != TensorElementType.Float)
            throw new ModelContractException($"Model '{name}': input '{input.Name}' is {input.ElementType}; expected float or double.");
        return new OnnxEmbeddedLogits(model, ModelSession.FromModel(model, name, options), p, (int)width, isDouble,
            $"embedded-input export '{name}', {(isDouble ? "float64" : "float32")}");
    }

    /// <summary>Opens <paramref name="path"/> as an embedded-input export when it has the input <c>embedded</c>, else by surgery.</summary>
    public static OnnxEmbeddedLogits Open(string path, string? name = null, ModelSessionOptions? options = null)
    {
        var model = OnnxModel.Load(path);
        name ??= Path.GetFileName(path);
        return model.Inputs.Any(i => i.Name == ModelContract.Embedded)
            ? FromEmbeddedExport(model, name, options)
            : FromTokenModel(model, name, options: options);
    }

    /// <inheritdoc />
    public double[] Logits(double[] embedded, int batch)
    {
        int rowSize = NCtx * DModel;
        if (embedded.Length != batch * rowSize)
            throw new ArgumentException($"Expected [batch {batch}, {NCtx}, {DModel}] = {batch * rowSize} values, got {embedded.Length}.", nameof(embedded));
        var (all, shape) = _session.RunEmbedded(embedded, batch);
        if (shape.Length == 2 && shape[1] == P) return all;
        if (shape.Length == 3 && shape[2] == P) return LastPosition(all, batch, (int)shape[1]);
        throw new InvalidOperationException($"Logits have shape [{string.Join(", ", shape)}]; expected [{batch}, {P}].");
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();

    private double[] LastPosition(double[] all, int batch, int positions)
    {
        var last = new double[batch * P];
        for (int r = 0; r < batch; r++) Array.Copy(all, ((long)r * positions + positions - 1) * P, last, (long)r * P, P);
        return last;
    }

    private static TensorElementType InputElement(OnnxModel model) =>
        model.Inputs.First(i => i.Name == ModelContract.Embedded).ElementType;
}
