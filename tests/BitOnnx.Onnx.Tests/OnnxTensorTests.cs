using BitOnnx.Onnx.Proto;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Onnx.Tests;

[TestClass]
public class OnnxTensorTests
{
    [TestMethod]
    public void RawDataIsLittleEndianFixedWidthAsTheSpecRequires()
    {
        var tensor = OnnxTensor.FromArray("t", new[] { 1.0f, -2.0f }, [2]);

        Assert.AreEqual((int)TensorElementType.Float, tensor.DataType);
        CollectionAssert.AreEqual(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0 }, tensor.RawData.ToByteArray());
        CollectionAssert.AreEqual(new long[] { 2 }, tensor.Dims.ToArray());
    }

    [TestMethod]
    public void EveryWritableTypeRoundTrips()
    {
        AssertRoundTrip(new[] { 1.5f, float.MinValue, float.NaN });
        AssertRoundTrip(new[] { Math.E, double.Epsilon });
        AssertRoundTrip(new sbyte[] { -128, 0, 127 });
        AssertRoundTrip(new byte[] { 0, 128, 255 });
        AssertRoundTrip(new short[] { short.MinValue, 5 });
        AssertRoundTrip(new[] { int.MinValue, int.MaxValue });
        AssertRoundTrip(new[] { long.MinValue, long.MaxValue });
        AssertRoundTrip(new ulong[] { ulong.MaxValue, 1 });
        AssertRoundTrip(new[] { true, false, true });
    }

    [TestMethod]
    public void TypedFieldsFromOtherProducersAreRead()
    {
        var floats = new TensorProto { Name = "f", DataType = (int)TensorElementType.Float, Dims = { 3 }, FloatData = { 1f, 2f, 3f } };
        var int8 = new TensorProto { Name = "i8", DataType = (int)TensorElementType.Int8, Dims = { 2, 2 }, Int32Data = { -128, -1, 0, 127 } };
        var uint8 = new TensorProto { Name = "u8", DataType = (int)TensorElementType.UInt8, Dims = { 2 }, Int32Data = { 0, 255 } };
        var int64 = new TensorProto { Name = "i64", DataType = (int)TensorElementType.Int64, Dims = { 2 }, Int64Data = { -5, 1L << 50 } };

        CollectionAssert.AreEqual(new[] { 1f, 2f, 3f }, OnnxTensor.ToArray<float>(floats));
        CollectionAssert.AreEqual(new sbyte[] { -128, -1, 0, 127 }, OnnxTensor.ToArray<sbyte>(int8));
        CollectionAssert.AreEqual(new byte[] { 0, 255 }, OnnxTensor.ToArray<byte>(uint8));
        CollectionAssert.AreEqual(new[] { -5L, 1L << 50 }, OnnxTensor.ToArray<long>(int64));
    }

    [TestMethod]
    public void MismatchesAreReportedNotGuessed()
    {
        var tensor = OnnxTensor.FromArray("w", new sbyte[] { 1, 2 }, [2]);
        var wrongType = Assert.ThrowsException<InvalidOperationException>(() => OnnxTensor.ToArray<byte>(tensor));
        StringAssert.Contains(wrongType.Message, "Int8");

        tensor.RawData = ByteString.CopyFrom(1, 2, 3);
        Assert.ThrowsException<OnnxFormatException>(() => OnnxTensor.ToArray<sbyte>(tensor));

        var external = OnnxTensor.FromArray("e", new[] { 1f }, [1]);
        external.DataLocation = TensorProto.Types.DataLocation.External;
        Assert.ThrowsException<OnnxFormatException>(() => OnnxTensor.ToArray<float>(external));
    }

    [TestMethod]
    public void ScalarHasRankZero()
    {
        var scalar = OnnxTensor.Scalar("s", (sbyte)-3);
        Assert.AreEqual(0, scalar.Dims.Count);
        CollectionAssert.AreEqual(new sbyte[] { -3 }, OnnxTensor.ToArray<sbyte>(scalar));
    }

    private static void AssertRoundTrip<T>(T[] values) where T : unmanaged
    {
        var parsed = TensorProto.Parser.ParseFrom(OnnxTensor.FromArray("t", values, [values.Length]).ToByteArray());
        Assert.AreEqual((int)TensorElementTypes.Of<T>(), parsed.DataType, typeof(T).Name);
        CollectionAssert.AreEqual(values, OnnxTensor.ToArray<T>(parsed), typeof(T).Name);
    }
}
