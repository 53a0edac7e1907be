using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>Broken models end in one BitOnnxException with a one-line message, never a crash or a raw ORT error.</summary>
[TestClass]
public class BadModelTests
{
    private static readonly byte[] Valid = TestModels.ExactModularAddition(7).ToBytes();

    [TestMethod]
    public void EmptyAndGarbageBytesAreNotAModel()
    {
        var garbage = new byte[4096];
        new Random(31).NextBytes(garbage);
        foreach (var bytes in new[] { Array.Empty<byte>(), garbage, Valid[..(Valid.Length / 2)] })
        {
            var e = Load(bytes);
            StringAssert.Contains(e.Message, "not a readable ONNX model");
        }
    }

    [TestMethod]
    public void UnsupportedOpsetIsOneLineNamingTheOpset()
    {
        var model = OnnxModel.FromBytes(Valid);
        model.Proto.OpsetImport.Single(o => o.Domain == "").Version = 1000;

        var e = Load(model.ToBytes());

        StringAssert.Contains(e.Message, "ONNX Runtime cannot load model 'bad.onnx'");
        StringAssert.Contains(e.Message, "pset");
        Assert.IsInstanceOfType<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(e.InnerException, "ORT's own error is the inner exception");
    }

    [TestMethod]
    public void UnknownOperatorIsOneLineNamingTheOperator()
    {
        var model = OnnxModel.FromBytes(Valid);
        model.Graph.Node[^1].OpType = "NoSuchOperator";

        var e = Load(model.ToBytes());

        StringAssert.Contains(e.Message, "NoSuchOperator");
    }

    [TestMethod]
    public void MissingFileSaysSo()
    {
        var e = Assert.ThrowsException<OnnxFormatException>(() => ModelSession.Open("/nonexistent/model.onnx"));
        StringAssert.Contains(e.Message, "'/nonexistent/model.onnx' does not exist");
    }

    [TestMethod]
    public void ModelWithoutLogitsOrWithOtherInputsIsNotAModularAdditionModel()
    {
        var other = OnnxModel.FromBytes(TestModels.AddConstant(3, 1f));
        StringAssert.Contains(Assert.ThrowsException<ModelContractException>(() => ModelSession.FromModel(other, "add")).Message, "no output named 'logits'");

        var model = OnnxModel.FromBytes(Valid);
        model.Graph.Input[0].Name = "ids";
        foreach (var node in model.Graph.Node)
            for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == "tokens") node.Input[i] = "ids";
        StringAssert.Contains(Assert.ThrowsException<ModelContractException>(() => ModelSession.FromModel(model, "ids")).Message, "takes 'tokens' int64 [batch, 3]");
    }

    private static BitOnnx.Core.BitOnnxException Load(byte[] model)
    {
        var e = ThrowsBitOnnx(() => ModelSession.FromBytes(model, "bad.onnx").Dispose());
        Assert.IsFalse(e.Message.Contains('\n'), $"one line: {e.Message}");
        return e;
    }

    private static BitOnnx.Core.BitOnnxException ThrowsBitOnnx(Action action)
    {
        try
        {
            action();
        }
        catch (BitOnnx.Core.BitOnnxException e)
        {
            return e;
        }
        throw new AssertFailedException("expected a BitOnnxException");
    }
}
