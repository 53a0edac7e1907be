using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Transcoders;

namespace BitOnnx.Core.Tests.Transcoders;

/// <summary>What TranscoderFile writes it reads back; the reference encode and decode on hand-computed rows.</summary>
[TestClass]
public sealed class TranscoderFileTests
{
    private static readonly TranscoderSource Source = new("toy.onnx", 7, "ab12");

    [TestMethod]
    public void ConfigSourceAndWeightsReadBackAsWritten()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bitonnx-tc-{Guid.NewGuid():N}.safetensors");
        try
        {
            var config = new TranscoderConfig(TranscoderKind.L1, 3, 2, 5, 2, 0.25, 9);
            var transcoder = Transcoder.Zeros(config, Source);
            for (int i = 0; i < transcoder.Parameters.Data.Length; i++) transcoder.Parameters.Data[i] = i * 0.5f - 3;
            TranscoderFile.Write(path, transcoder);
            var back = TranscoderFile.Read(path);
            Assert.AreEqual(config, back.Config);
            Assert.AreEqual(Source, back.Source);
            CollectionAssert.AreEqual(transcoder.Parameters.Data, back.Parameters.Data);
            CollectionAssert.AreEqual(new[] { "W_enc", "b_enc", "W_dec", "b_dec" }, back.Parameters.Entries.Select(e => e.Name).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AModelCheckpointIsNotATranscoder()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bitonnx-tc-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensorsFile.Write(path, [new BitOnnx.Core.Model.NamedTensor("embed.W_E", new BitOnnx.Core.Model.Shape(2), [1, 2])], new Dictionary<string, string> { ["p"] = "7" });
            var e = Assert.ThrowsExactly<CheckpointException>(() => TranscoderFile.Read(path));
            StringAssert.Contains(e.Message, "is not a transcoder");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AMissingFileIsNamedAsATranscoder()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bitonnx-tc-{Guid.NewGuid():N}", TranscoderFile.FileName);
        var e = Assert.ThrowsExactly<CheckpointException>(() => TranscoderFile.Read(path));
        StringAssert.Contains(e.Message, "Transcoder '");
        StringAssert.Contains(e.Message, "bitonnx transcoder train");
    }

    [TestMethod]
    public void EveryBadSettingIsNamedAtOnce()
    {
        Assert.HasCount(1, new TranscoderConfig(TranscoderKind.TopK, 4, 4, 8, 9, 0, 0).Problems());
        Assert.HasCount(1, new TranscoderConfig(TranscoderKind.TopK, 4, 4, 8, 0, 0, 0).Problems());
        Assert.HasCount(2, new TranscoderConfig(TranscoderKind.TopK, 0, 4, 0, 1, 0, 0).Problems());
        Assert.HasCount(1, new TranscoderConfig(TranscoderKind.L1, 4, 4, 8, 0, -1, 0).Problems());
        Assert.IsEmpty(new TranscoderConfig(TranscoderKind.L1, 4, 4, 8, 0, 0.1, 0).Problems());
    }

    [TestMethod]
    public void TopKKeepsTheLargestAndBreaksTiesToTheLowerIndex()
    {
        float[] row = [0.5f, 2, 0, 2, 1, 2];
        Transcoder.KeepTopK(row, 2);
        CollectionAssert.AreEqual(new[] { 0f, 2, 0, 2, 0, 0 }, row);
    }

    [TestMethod]
    public void EncodeAndDecodeMatchAHandComputedRow()
    {
        // d_in 2, width 3, d_out 2: pre = x·W_enc + b_enc = [1·1 + 2·0 − 0.5, 1·(−1) + 2·1, 1·2 + 2·2 + 1] = [0.5, 1, 7].
        var t = Transcoder.Zeros(new TranscoderConfig(TranscoderKind.TopK, 2, 2, 3, 2, 0, 0), Source);
        float[] wEnc = [1, -1, 2, 0, 1, 2];
        wEnc.CopyTo(t.Parameters["W_enc"]);
        new float[] { -0.5f, 0, 1 }.CopyTo(t.Parameters["b_enc"]);
        new float[] { 1, 0, 0, 1, 1, 1 }.CopyTo(t.Parameters["W_dec"]);
        new float[] { 0.25f, -0.25f }.CopyTo(t.Parameters["b_dec"]);
        var latents = t.Encode([1, 2]);
        CollectionAssert.AreEqual(new[] { 0f, 1, 7 }, latents);
        CollectionAssert.AreEqual(new[] { 7.25f, 7.75f }, t.Decode(latents));
    }
}
