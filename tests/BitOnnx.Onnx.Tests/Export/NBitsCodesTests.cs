using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Tests.Runtime;

namespace BitOnnx.Onnx.Tests.Export;

/// <summary>NBitsCodes against the hand packer written from the contrib-op spec (<see cref="NBitsPacking"/>), and its own inverse; reading a MatMulNBits node.</summary>
[TestClass]
public class NBitsCodesTests
{
    [TestMethod]
    [DataRow(1, 32)]
    [DataRow(16, 32)]
    [DataRow(32, 32)]
    [DataRow(40, 64)]
    [DataRow(64, 64)]
    [DataRow(72, 32)]
    [DataRow(100, 128)]
    [DataRow(128, 128)]
    [DataRow(160, 32)]
    [DataRow(512, 128)]
    [DataRow(1152, 128)]
    public void BlockSizeIsTheNativeLengthThatPadsLeastTheLongerOnATie(int k, int expected)
    {
        Assert.AreEqual(expected, NBitsCodes.BlockSize(k));
        int padding = NBitsCodes.Blocks(k, expected) * expected - k;
        foreach (var other in NBitsCodes.NativeBlockSizes)
            Assert.IsTrue(padding <= NBitsCodes.Blocks(k, other) * other - k, $"K = {k}: block {other} pads less than {expected}");
    }

    [TestMethod]
    [DataRow(128, 24, 128)]
    [DataRow(72, 10, 32)]
    [DataRow(40, 7, 64)]
    [DataRow(512, 5, 128)]
    public void PackedCodesAreTheSpecLayoutAndUnpackBack(int k, int n, int blockSize)
    {
        var random = new Random(7 + k);
        var codes = new int[k, n];
        for (int row = 0; row < k; row++)
            for (int col = 0; col < n; col++) codes[row, col] = random.Next(-1, 2);

        var packed = NBitsCodes.Pack(k, n, blockSize, (row, col) => codes[row, col]);

        var stored = new int[n, k];
        for (int row = 0; row < k; row++)
            for (int col = 0; col < n; col++) stored[col, row] = codes[row, col] + 2;
        CollectionAssert.AreEqual(NBitsPacking.PackWeights(stored, k, n, bits: 2, blockSize, padding: 2), packed, "B [N, blocks, blob], rows past K hold the zero point");
        var unpacked = NBitsCodes.Unpack(packed, k, n, blockSize);
        for (int row = 0; row < k; row++)
            for (int col = 0; col < n; col++) Assert.AreEqual(codes[row, col], unpacked[row * n + col], $"({row}, {col})");
    }

    [TestMethod]
    [DataRow(5, 1)]
    [DataRow(5, 4)]
    [DataRow(3, 9)]
    public void ZeroPointsAreTwoInEveryBlockPackedPerColumn(int n, int blocks)
    {
        var twos = new int[n, blocks];
        for (int col = 0; col < n; col++)
            for (int b = 0; b < blocks; b++) twos[col, b] = 2;
        CollectionAssert.AreEqual(NBitsPacking.PackZeroPoints(twos, n, blocks, bits: 2), NBitsCodes.PackedZeroPoints(n, blocks));
    }

    [TestMethod]
    [DataRow(5, 1)]
    [DataRow(5, 4)]
    [DataRow(3, 9)]
    public void AnyZeroPointsUnpackBackFromTheSpecPacking(int n, int blocks)
    {
        var zeroPoints = TestData.Ints(n, blocks, seed: 31 + blocks, maxExclusive: 4);
        var unpacked = NBitsCodes.UnpackZeroPoints(NBitsPacking.PackZeroPoints(zeroPoints, n, blocks, bits: 2), n, blocks);
        for (int col = 0; col < n; col++)
            for (int b = 0; b < blocks; b++) Assert.AreEqual(zeroPoints[col, b], unpacked[col * blocks + b], $"column {col}, block {b}");
        Assert.IsTrue(NBitsCodes.UnpackZeroPoints(NBitsCodes.PackedZeroPoints(n, blocks), n, blocks).All(z => z == NBitsCodes.ZeroPoint));
    }

    /// <summary>A MatMulNBits node packed by hand from the spec reads back as w[k, n] = (q[n, k] − zp[n, k/bs])·scale[n, k/bs].</summary>
    [TestMethod]
    [DataRow(16, 64, "packed")]
    [DataRow(16, 72, "packed")]
    [DataRow(32, 72, "float")]
    [DataRow(32, 64, "none")]
    public void AMatMulNBitsNodeReadsBackAsTheWeightItEncodes(int blockSize, int k, string zeroPointKind)
    {
        const int n = 12;
        int blocks = NBitsPacking.Blocks(k, blockSize);
        var q = TestData.Ints(n, k, seed: 41, maxExclusive: 4);
        var zeroPoints = zeroPointKind == "none" ? new int[n, blocks] : TestData.Ints(n, blocks, seed: 42, maxExclusive: 4);
        if (zeroPointKind == "none")
            for (int col = 0; col < n; col++)
                for (int b = 0; b < blocks; b++) zeroPoints[col, b] = 2;
        var floatZeroPoints = new float[n * blocks];
        for (int col = 0; col < n; col++)
            for (int b = 0; b < blocks; b++) floatZeroPoints[col * blocks + b] = zeroPoints[col, b];
        var scales = TestData.PositiveFloats(n, blocks, seed: 43);
        var model = OnnxModel.FromBytes(TestModels.MatMulNBits(
            NBitsPacking.PackWeights(q, k, n, bits: 2, blockSize, padding: 2),
            NBitsPacking.FlattenScales(scales, n, blocks),
            zeroPointKind == "packed" ? NBitsPacking.PackZeroPoints(zeroPoints, n, blocks, bits: 2) : null,
            k, n, bits: 2, blockSize,
            floatZeroPoints: zeroPointKind == "float" ? floatZeroPoints : null));

        var w = NBitsCodes.ReadMatMulNBits(model, model.Graph.Node.Single(node => node.OpType == "MatMulNBits"), out int readK, out int readN);

        Assert.AreEqual((k, n), (readK, readN));
        CollectionAssert.AreEqual(ScalarReference.DequantizeBlockwise(q, zeroPoints, scales, k, n, blockSize), w);
    }

    [TestMethod]
    public void AMatMulNBitsNodeOfOtherThanTwoBitsIsRefused()
    {
        const int k = 32, n = 4, blockSize = 16;
        int blocks = NBitsPacking.Blocks(k, blockSize);
        var model = OnnxModel.FromBytes(TestModels.MatMulNBits(
            NBitsPacking.PackWeights(TestData.Ints(n, k, seed: 5, maxExclusive: 16), k, n, bits: 4, blockSize),
            NBitsPacking.FlattenScales(TestData.PositiveFloats(n, blocks, seed: 6), n, blocks), null, k, n, bits: 4, blockSize));
        var e = Assert.ThrowsException<OnnxFormatException>(() => NBitsCodes.ReadMatMulNBits(model, model.Graph.Node.Single(), out _, out _));
        StringAssert.Contains(e.Message, "bits = 4");
    }

    [TestMethod]
    public void ACodeOutsideTernaryIsRefused() =>
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => NBitsCodes.Pack(32, 1, 32, (row, _) => row == 3 ? 2 : 0));
}
