using BitOnnx.Onnx.Proto;

namespace BitOnnx.Onnx;

/// <summary>
/// Builds an ONNX graph step by step and checks names as it goes: every node input must already exist,
/// every name is defined once. <see cref="Build"/> returns a <see cref="ModelProto"/> stamped with
/// <see cref="OnnxVersions"/>.
/// <code>
/// var g = new OnnxGraphBuilder("embed");
/// var tokens = g.Input("tokens", TensorElementType.Int64, ["batch", 3]);
/// var table = g.Initializer("embed.W_E", weights, [114, 128]);
/// var h = g.Node("Gather", [table, tokens], new() { { "axis", 0 } }, output: "hook_embed");
/// g.Output(h, TensorElementType.Float, ["batch", 3, 128]);
/// ModelProto model = g.Build(new Dictionary&lt;string, string&gt; { ["preset"] = "li2024" });
/// </code>
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly GraphProto graph;
    private readonly Dictionary<string, long> opsets = new(StringComparer.Ordinal);
    private readonly HashSet<string> definedNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> nodeNames = new(StringComparer.Ordinal);
    private int autoNameCounter;

    public OnnxGraphBuilder(string name, long opset = OnnxVersions.DefaultOpset)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        graph = new GraphProto { Name = name };
        opsets[OnnxVersions.DefaultDomain] = opset;
    }

    public string Name => graph.Name;

    /// <summary>Operator sets imported so far, domain to version ("" is the ONNX domain).</summary>
    public IReadOnlyDictionary<string, long> Opsets => opsets;

    /// <summary>Imports (or re-versions) an operator set, e.g. <c>UseOpset("com.microsoft", 1)</c>.</summary>
    public OnnxGraphBuilder UseOpset(string domain, long version)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        opsets[domain] = version;
        return this;
    }

    public TensorRef Input(string name, TensorElementType elementType, IReadOnlyList<Dim>? shape)
    {
        Define(name, "graph input");
        graph.Input.Add(ValueInfo(name, elementType, shape));
        return new TensorRef(name);
    }

    public TensorRef Initializer<T>(string name, ReadOnlySpan<T> data, ReadOnlySpan<long> shape) where T : unmanaged =>
        Initializer(OnnxTensor.FromArray(name, data, shape));

    public TensorRef Initializer<T>(string name, T[] data, ReadOnlySpan<long> shape) where T : unmanaged =>
        Initializer(OnnxTensor.FromArray(name, new ReadOnlySpan<T>(data), shape));

    /// <summary>A rank-0 initializer, e.g. a quantization scale.</summary>
    public TensorRef Scalar<T>(string name, T value) where T : unmanaged =>
        Initializer(OnnxTensor.Scalar(name, value));

    public TensorRef Initializer(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Define(tensor.Name, "initializer");
        graph.Initializer.Add(tensor);
        return new TensorRef(tensor.Name);
    }

    /// <summary>
    /// Adds a node with one output and returns that output. <paramref name="output"/> names the output (and the
    /// node); left out, a name is made from the operator type.
    /// </summary>
    public TensorRef Node(
        string opType,
        IReadOnlyList<TensorRef> inputs,
        NodeAttributes? attributes = null,
        string? output = null,
        string domain = OnnxVersions.DefaultDomain) =>
        output is null
            ? Node(opType, inputs, 1, attributes, domain)[0]
            : Node(opType, inputs, [output], attributes, domain)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs, named after the node.</summary>
    public TensorRef[] Node(
        string opType,
        IReadOnlyList<TensorRef> inputs,
        int outputCount,
        NodeAttributes? attributes = null,
        string domain = OnnxVersions.DefaultDomain)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputCount, 1);
        string nodeName = UniqueNodeName(opType, outputCount);
        return AddNode(nodeName, opType, inputs, AutoOutputNames(nodeName, outputCount), attributes, domain);
    }

    /// <summary>Adds a node whose outputs carry the given names (the node is named after the first).</summary>
    public TensorRef[] Node(
        string opType,
        IReadOnlyList<TensorRef> inputs,
        IReadOnlyList<string> outputs,
        NodeAttributes? attributes = null,
        string domain = OnnxVersions.DefaultDomain)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0) throw new ArgumentException("A node needs at least one output.", nameof(outputs));
        return AddNode(UniqueNodeName(outputs[0]), opType, inputs, outputs, attributes, domain);
    }

    /// <summary>Marks a value as a graph output with its element type and shape (null shape: unknown rank).</summary>
    public void Output(TensorRef value, TensorElementType elementType, IReadOnlyList<Dim>? shape)
    {
        RequireDefined(value, "graph output");
        if (graph.Output.Any(o => o.Name == value.Name))
        {
            throw new ArgumentException($"'{value.Name}' is already a graph output.", nameof(value));
        }

        graph.Output.Add(ValueInfo(value.Name, elementType, shape));
    }

    /// <summary>The model: graph, opset imports, IR version and metadata_props (key order kept).</summary>
    public ModelProto Build(IEnumerable<KeyValuePair<string, string>>? metadata = null, string? docString = null)
    {
        if (graph.Output.Count == 0)
        {
            throw new InvalidOperationException($"Graph '{graph.Name}' has no outputs; call Output(...) before Build().");
        }

        var model = new ModelProto
        {
            IrVersion = OnnxVersions.IrVersion,
            ProducerName = OnnxVersions.ProducerName,
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            Graph = graph.Clone(),
        };
        if (docString is not null) model.DocString = docString;
        foreach (var (domain, version) in opsets.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata ?? [])
        {
            if (!keys.Add(key)) throw new ArgumentException($"Metadata key '{key}' is given twice.", nameof(metadata));
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    private TensorRef[] AddNode(
        string nodeName,
        string opType,
        IReadOnlyList<TensorRef> inputs,
        IReadOnlyList<string> outputs,
        NodeAttributes? attributes,
        string domain)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(domain);
        foreach (var input in inputs)
        {
            if (!input.IsNone) RequireDefined(input, $"input of {opType} node '{nodeName}'");
        }

        if (!opsets.ContainsKey(domain))
        {
            if (!OnnxVersions.TryGetDefaultOpset(domain, out long version))
            {
                throw new InvalidOperationException(
                    $"Node '{nodeName}' uses domain '{domain}', which has no opset; call UseOpset(\"{domain}\", version) first.");
            }

            opsets[domain] = version;
        }

        foreach (string output in outputs) Define(output, $"output of {opType} node '{nodeName}'");

        var node = new NodeProto { Name = nodeName, OpType = opType };
        if (domain.Length > 0) node.Domain = domain;
        node.Input.AddRange(inputs.Select(i => i.Name ?? string.Empty));
        node.Output.AddRange(outputs);
        if (attributes is not null) node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return outputs.Select(o => new TensorRef(o)).ToArray();
    }

    /// <summary>A node name not used before; for auto-named nodes, also one whose outputs are free value names.</summary>
    private string UniqueNodeName(string stem, int autoOutputs = 0)
    {
        string name = autoOutputs == 0 ? stem : $"{stem}_{++autoNameCounter}";
        while (nodeNames.Contains(name) || autoOutputs > 0 && AutoOutputNames(name, autoOutputs).Any(definedNames.Contains))
        {
            name = $"{stem}_{++autoNameCounter}";
        }

        nodeNames.Add(name);
        return name;
    }

    private static string[] AutoOutputNames(string nodeName, int count) =>
        count == 1 ? [nodeName] : Enumerable.Range(0, count).Select(i => $"{nodeName}_{i}").ToArray();

    private void Define(string name, string role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!definedNames.Add(name))
        {
            throw new ArgumentException($"'{name}' ({role}) is already defined in graph '{graph.Name}'; value names must be unique.");
        }
    }

    private void RequireDefined(TensorRef value, string role)
    {
        if (value.IsNone || !definedNames.Contains(value.Name))
        {
            throw new ArgumentException(
                $"'{value}' ({role}) is not defined in graph '{graph.Name}'; add it as an input, initializer or node output first.");
        }
    }

    private static ValueInfoProto ValueInfo(string name, TensorElementType elementType, IReadOnlyList<Dim>? shape)
    {
        if (elementType == TensorElementType.Undefined)
        {
            throw new ArgumentException($"'{name}' needs an element type.", nameof(elementType));
        }

        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType };
        if (shape is not null)
        {
            tensorType.Shape = new TensorShapeProto();
            foreach (var dim in shape)
            {
                tensorType.Shape.Dim.Add(dim.IsSymbolic
                    ? new TensorShapeProto.Types.Dimension { DimParam = dim.Name }
                    : new TensorShapeProto.Types.Dimension { DimValue = dim.Size ?? 0 });
            }
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}
