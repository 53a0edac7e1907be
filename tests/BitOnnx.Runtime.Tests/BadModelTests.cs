using BitOnnx.Onnx;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Runtime.Tests;

/// <summary>Broken models end in an OnnxRuntimeException, never a crash.</summary>
[TestClass]
public class BadModelTests
{
    private static readonly byte[] Valid = TestModels.AddConstant(4, 1f);

    [TestMethod]
    public void EmptyModel_Throws() =>
        Assert.AreEqual(ErrorCode.InvalidProtobuf, Load([]).ErrorCode);

    [TestMethod]
    public void GarbageBytes_Throw()
    {
        var garbage = new byte[4096];
        new Random(31).NextBytes(garbage);
        Assert.AreEqual(ErrorCode.InvalidProtobuf, Load(garbage).ErrorCode);
    }

    [TestMethod]
    public void TruncatedModels_Throw()
    {
        foreach (int length in new[] { 1, Valid.Length / 3, Valid.Length / 2, Valid.Length - 1 })
        {
            var e = Load(Valid[..length]);
            Assert.IsTrue(e.ErrorCode is ErrorCode.InvalidProtobuf or ErrorCode.InvalidGraph or ErrorCode.Fail, $"length {length}: {e.Message}");
        }
    }

    [TestMethod]
    public void UnsupportedOpset_Throws()
    {
        var model = OnnxModel.FromBytes(Valid);
        model.Proto.OpsetImport.Single(o => o.Domain == "").Version = 1000;

        var e = Load(model.ToBytes());

        StringAssert.Contains(e.Message, "pset");
    }

    [TestMethod]
    public void UnknownOperator_Throws()
    {
        var model = OnnxModel.FromBytes(Valid);
        model.Graph.Node[0].OpType = "NoSuchOperator";

        var e = Load(model.ToBytes());

        StringAssert.Contains(e.Message, "NoSuchOperator");
    }

    [TestMethod]
    public void MissingFile_ThrowsNoSuchFile()
    {
        var e = Assert.ThrowsException<OnnxRuntimeException>(() => new InferenceSession("/nonexistent/model.onnx").Dispose());
        Assert.AreEqual(ErrorCode.NoSuchFile, e.ErrorCode);
    }

    private static OnnxRuntimeException Load(byte[] model) =>
        Assert.ThrowsException<OnnxRuntimeException>(() => new InferenceSession(model).Dispose());
}
