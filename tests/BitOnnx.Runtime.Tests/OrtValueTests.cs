using OnnxGraphBuilder = BitOnnx.Onnx.OnnxGraphBuilder;
using BitOnnx.Runtime.Tensors;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxType = BitOnnx.Onnx.TensorElementType;

namespace BitOnnx.Runtime.Tests;

[TestClass]
public class OrtValueTests
{
    [TestMethod]
    public void EveryElementType_RoundTripsThroughAnIdentityModel()
    {
        AssertIdentityRoundTrip(new[] { 1.5f, -2.25f, float.MaxValue, 0f, -0f, 1e-30f });
        AssertIdentityRoundTrip(new[] { Math.PI, -1e300, 0, 5e-324, 2, 3 });
        AssertIdentityRoundTrip(new[] { long.MinValue, long.MaxValue, 0, -1, 42, 1L << 40 });
        AssertIdentityRoundTrip(new[] { int.MinValue, int.MaxValue, 0, -1, 42, 7 });
        AssertIdentityRoundTrip(new sbyte[] { -128, 127, 0, -1, 42, 7 });
        AssertIdentityRoundTrip(new byte[] { 0, 255, 1, 128, 42, 7 });
        AssertIdentityRoundTrip(new[] { true, false, true, true, false, false });
    }

    [TestMethod]
    public void TensorFromMemory_SharesTheArray_NotACopy()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        using var value = OrtValue.CreateTensorValueFromMemory(data, [2, 3]);

        data[4] = 99;
        value.GetTensorMutableDataAsSpan<float>()[0] = -1;

        Assert.AreEqual(99f, value.GetTensorDataAsSpan<float>()[4]);
        Assert.AreEqual(-1f, data[0]);
        var info = value.GetTensorTypeAndShape();
        Assert.AreEqual(TensorElementType.Float, info.ElementDataType);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, info.Shape);
        Assert.AreEqual(6, info.ElementCount);
    }

    [TestMethod]
    public void AllocatedTensor_WrittenThroughItsSpan_FeedsARun()
    {
        using var session = new InferenceSession(TestModels.AddConstant(5, 0.5f));
        using var input = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [1, 5]);
        var span = input.GetTensorMutableDataAsSpan<float>();
        for (int i = 0; i < span.Length; i++) span[i] = i * i;

        using var outputs = session.Run(new Dictionary<string, OrtValue> { ["x"] = input });

        CollectionAssert.AreEqual(new[] { 0.5f, 1.5f, 4.5f, 9.5f, 16.5f }, outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [TestMethod]
    public void ReadingAsTheWrongType_OrWithAWrongShape_Throws()
    {
        using var value = OrtValue.CreateTensorValueFromMemory(new long[] { 1, 2 }, [2]);
        var e = Assert.ThrowsException<InvalidOperationException>(() => value.GetTensorDataAsSpan<float>().ToArray());
        StringAssert.Contains(e.Message, "Int64");
        Assert.ThrowsException<ArgumentException>(() => OrtValue.CreateTensorValueFromMemory(new float[5], [2, 3]));
        value.Dispose();
        Assert.ThrowsException<ObjectDisposedException>(() => value.GetTensorDataAsSpan<long>().ToArray());
    }

    private static void AssertIdentityRoundTrip<T>(T[] data) where T : unmanaged
    {
        var elementType = (OnnxType)(int)TensorElementTypeInfo.Of<T>();
        var g = new OnnxGraphBuilder($"identity_{typeof(T).Name}");
        var x = g.Input("x", elementType, [2, "n"]);
        g.Output(g.Node("Identity", [x], output: "y"), elementType, [2, "n"]);
        using var session = new InferenceSession(TestModels.Serialize(g));
        using var input = OrtValue.CreateTensorValueFromMemory(data, [2, data.Length / 2]);

        using var outputs = session.Run(new Dictionary<string, OrtValue> { ["x"] = input });

        Assert.AreEqual(TensorElementTypeInfo.Of<T>(), session.InputMetadata["x"].ElementDataType, typeof(T).Name);
        CollectionAssert.AreEqual(data, outputs[0].GetTensorDataAsSpan<T>().ToArray(), typeof(T).Name);
    }
}
