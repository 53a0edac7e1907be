using BitOnnx.Onnx.Proto;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Onnx.Tests;

[TestClass]
public class GraphBuilderTests
{
    private static readonly float[] Embedding = Enumerable.Range(0, 12).Select(i => i * 0.5f - 3f).ToArray();
    private static readonly sbyte[] WeightsInt8 = [-128, -1, 0, 1, 2, 127];
    private static readonly byte[] PackedBits = [0b_11_10_01_00, 0xFF, 0x00, 0x5A];

    [TestMethod]
    public void BuildSaveLoadListsInputsOutputsInitializersOpsetsAndMetadata()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bitonnx-builder-{Guid.NewGuid():N}.onnx");
        try
        {
            new OnnxModel(BuildSample()).Save(path);
            var model = OnnxModel.Load(path);

            Assert.AreEqual(OnnxVersions.IrVersion, model.IrVersion);
            Assert.AreEqual("sample", model.Graph.Name);
            Assert.AreEqual(2, model.Inputs.Count);
            Assert.AreEqual("tokens: Int64 [batch, 3]", model.Inputs[0].ToString());
            Assert.AreEqual("mask: Bool [batch, ?]", model.Inputs[1].ToString(), "a dimension without value or name reads back as '?'");
            Assert.AreEqual("hook_embed: Float [batch, 3, 4]", model.Outputs[0].ToString());
            Assert.AreEqual("y: Float [batch, 3, 2]", model.Outputs[1].ToString());
            CollectionAssert.AreEqual(
                new[] { "embed.W_E: Float [3, 4]", "W_q: Int8 [2, 3]", "B: UInt8 [2, 1, 2]", "W_scale: Float []", "shape: Int64 [2]" },
                model.Initializers.Select(i => i.ToString()).ToArray());
            CollectionAssert.AreEquivalent(
                new Dictionary<string, long> { [""] = OnnxVersions.DefaultOpset, ["com.microsoft"] = 1 }.ToArray(),
                model.Opsets.ToArray());
            CollectionAssert.AreEqual(
                new[] { KeyValuePair.Create("preset", "li2024"), KeyValuePair.Create("p", "113") }, model.Proto.MetadataProps.Select(p => KeyValuePair.Create(p.Key, p.Value)).ToArray());
            Assert.AreEqual("113", model.Metadata["p"]);
            CollectionAssert.AreEqual(Embedding, model.ReadInitializer<float>("embed.W_E"));
            CollectionAssert.AreEqual(WeightsInt8, model.ReadInitializer<sbyte>("W_q"));
            CollectionAssert.AreEqual(PackedBits, model.ReadInitializer<byte>("B"));
            CollectionAssert.AreEqual(new long[] { -1, 2 }, model.ReadInitializer<long>("shape"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AttributesOfEveryKindAreStoredWithTheirType()
    {
        var node = BuildSample().Graph.Node.Single(n => n.OpType == "Custom");
        var byName = node.Attribute.ToDictionary(a => a.Name);

        Assert.AreEqual(AttributeProto.Types.AttributeType.Int, byName["count"].Type);
        Assert.AreEqual(7L, byName["count"].I);
        Assert.AreEqual(AttributeProto.Types.AttributeType.Float, byName["alpha"].Type);
        Assert.AreEqual(0.25f, byName["alpha"].F);
        Assert.AreEqual("relu", byName["mode"].S.ToStringUtf8());
        CollectionAssert.AreEqual(new long[] { 0, 2, 1 }, byName["perm"].Ints.ToArray());
        Assert.AreEqual(AttributeProto.Types.AttributeType.Floats, byName["gains"].Type);
        CollectionAssert.AreEqual(new[] { 1.5f, -2f }, byName["gains"].Floats.ToArray());
        Assert.AreEqual(AttributeProto.Types.AttributeType.Tensor, byName["value"].Type);
        CollectionAssert.AreEqual(new[] { 3.0, 4.0 }, OnnxTensor.ToArray<double>(byName["value"].T));
        Assert.AreEqual("com.microsoft", BuildSample().Graph.Node.Single(n => n.OpType == "MatMulNBits").Domain);
    }

    [TestMethod]
    public void NodeInputsMustBeDefinedFirstAndNamesMustBeUnique()
    {
        var g = new OnnxGraphBuilder("checks");
        var x = g.Input("x", TensorElementType.Float, ["n"]);

        var undefined = Assert.ThrowsException<ArgumentException>(() => g.Node("Relu", [new TensorRef("nowhere")]));
        StringAssert.Contains(undefined.Message, "'nowhere'");
        var duplicate = Assert.ThrowsException<ArgumentException>(() => g.Initializer("x", new float[] { 1 }, [1]));
        StringAssert.Contains(duplicate.Message, "already defined");
        Assert.ThrowsException<InvalidOperationException>(() => g.Build(), "a graph without outputs");
        var noOpset = Assert.ThrowsException<InvalidOperationException>(() => g.Node("Op", [x], domain: "org.example"));
        StringAssert.Contains(noOpset.Message, "UseOpset(\"org.example\"");
        g.UseOpset("org.example", 3);
        var y = g.Node("Op", [x], domain: "org.example");
        g.Output(y, TensorElementType.Float, ["n"]);
        Assert.AreEqual(3, g.Build().OpsetImport.Single(o => o.Domain == "org.example").Version);
    }

    [TestMethod]
    public void AutoNamedNodesGetDistinctOutputNamesEvenBesideUserNames()
    {
        var g = new OnnxGraphBuilder("names");
        var x = g.Input("Relu_1", TensorElementType.Float, [2]);
        var a = g.Node("Relu", [x]);
        var b = g.Node("Relu", [a]);
        var parts = g.Node("Split", [b], 2, new NodeAttributes { { "num_outputs", 2 } });

        var names = new[] { x.Name, a.Name, b.Name, parts[0].Name, parts[1].Name };
        Assert.AreEqual(names.Length, names.Distinct().Count(), string.Join(", ", names));
    }

    [TestMethod]
    public void InitializerDataMustFillItsShape()
    {
        var g = new OnnxGraphBuilder("shape");
        var e = Assert.ThrowsException<ArgumentException>(() => g.Initializer("w", new float[5], [2, 3]));
        StringAssert.Contains(e.Message, "holds 6 elements but 5 values");
    }

    [TestMethod]
    public void SaveReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"bitonnx-save-{Guid.NewGuid():N}");
        string path = Path.Combine(directory, "model.onnx");
        try
        {
            var first = new OnnxModel(BuildSample());
            first.Save(path);
            first.Proto.Graph.Name = "renamed";
            first.Save(path);

            Assert.AreEqual("renamed", OnnxModel.Load(path).Graph.Name);
            CollectionAssert.AreEqual(new[] { "model.onnx" }, Directory.GetFiles(directory).Select(Path.GetFileName).ToArray());
            CollectionAssert.AreEqual(first.ToBytes(), File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void LoadOfNonModelsSaysWhatIsWrong()
    {
        Assert.ThrowsException<OnnxFormatException>(() => OnnxModel.FromBytes([]));
        Assert.ThrowsException<OnnxFormatException>(() => OnnxModel.FromBytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]));
        Assert.ThrowsException<OnnxFormatException>(() => OnnxModel.Load("/nonexistent/model.onnx"));
    }

    private static ModelProto BuildSample()
    {
        var g = new OnnxGraphBuilder("sample");
        var tokens = g.Input("tokens", TensorElementType.Int64, ["batch", 3]);
        g.Input("mask", TensorElementType.Bool, ["batch", "?"]);
        var table = g.Initializer("embed.W_E", Embedding, [3, 4]);
        var embed = g.Node("Gather", [table, tokens], new NodeAttributes { { "axis", 0 } }, output: "hook_embed");
        var wq = g.Initializer("W_q", WeightsInt8, [2, 3]);
        var packed = g.Initializer("B", PackedBits, [2, 1, 2]);
        var scale = g.Scalar("W_scale", 0.5f);
        g.Initializer("shape", new long[] { -1, 2 }, [2]);
        var custom = g.Node(
            "Custom",
            [embed, wq, TensorRef.None, scale],
            new NodeAttributes
            {
                { "count", 7 },
                { "alpha", 0.25f },
                { "mode", "relu" },
                { "perm", [0L, 2, 1] },
                { "gains", [1.5f, -2f] },
                { "value", OnnxTensor.FromArray("value", new[] { 3.0, 4.0 }, [2]) },
            },
            domain: "com.microsoft");
        var y = g.Node(
            "MatMulNBits",
            [custom, packed, scale],
            new NodeAttributes { { "K", 4 }, { "N", 2 }, { "bits", 2 }, { "block_size", 16 } },
            output: "y",
            domain: OnnxVersions.MicrosoftDomain);
        g.Output(embed, TensorElementType.Float, ["batch", 3, 4]);
        g.Output(y, TensorElementType.Float, ["batch", 3, 2]);
        return g.Build([KeyValuePair.Create("preset", "li2024"), KeyValuePair.Create("p", "113")]);
    }
}
