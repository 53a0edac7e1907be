using BitOnnx.Core.Checkpoints;
using BitOnnx.TestSupport;
using Microsoft.ML;

namespace BitOnnx.ML.Tests;

/// <summary>
/// The files tests/BitOnnx.PlainMlNet.Tests reads (it may reference no BitOnnx assembly): model zips written by the
/// library, and the engine's answers beside them. Format of NAME.engine.bin, little-endian: int32 P, int32 n, int32
/// pair[n] (row a·P + b), float32 logits[n·P] of those pairs, uint8 argmax[P²] of every pair. The shipped models'
/// zips are written by the CLI into models/ and get their .engine.bin here.
/// </summary>
[TestClass]
public sealed class PlainFixtures
{
    public static string Folder => Path.Combine(RepositoryRoot.Path, "tests", "BitOnnx.PlainMlNet.Tests", "Fixtures");

    /// <summary>Set BITONNX_WRITE_PLAIN_FIXTURES=1 to rewrite the fixtures instead of checking them.</summary>
    private static bool Writing => Environment.GetEnvironmentVariable("BITONNX_WRITE_PLAIN_FIXTURES") == "1";

    public static IEnumerable<object[]> ShippedModels() => [["li2024-binary"], ["li2024-ternary"], ["nanda2023-fp"]];

    [TestMethod]
    [DynamicData(nameof(ShippedModels), DynamicDataSourceType.Method)]
    public void ShippedModelReferenceIsTheEnginesNow(string name)
    {
        var checkpoint = SmallModels.ShippedModel(name);
        var p = checkpoint.Config.P;
        var sample = Enumerable.Range(0, p * p).Where(r => r % 50 == 7).ToArray();
        CheckOrWrite(Path.Combine(Folder, name + ".engine.bin"), checkpoint, sample);
    }

    /// <summary>The library's own zip: a P = 23 model trained through the ML.NET trainer, saved by MlNetExport.</summary>
    [TestMethod]
    public void LibraryZipAndItsReferenceAreCurrent()
    {
        var zip = Path.Combine(Folder, "library-p23.zip");
        var checkpointFile = Path.Combine(Folder, "library-p23.safetensors");
        if (Writing)
        {
            var trained = TrainedPipeline.Get();
            Directory.CreateDirectory(Folder);
            File.Copy(trained.ZipPath, zip, overwrite: true);
            ModelCheckpoint.Save(checkpointFile, trained.Checkpoint.Config, trained.Checkpoint.Parameters, trained.Checkpoint.Facts);
        }
        var checkpoint = ModelCheckpoint.Load(checkpointFile);
        var p = checkpoint.Config.P;
        CheckOrWrite(Path.Combine(Folder, "library-p23.engine.bin"), checkpoint, Enumerable.Range(0, p * p).ToArray());

        // The zip holds this checkpoint: its logits are the engine's.
        var ml = new MLContext();
        var scored = ml.Model.Load(zip, out _).Transform(ml.Data.LoadFromEnumerable(
            Enumerable.Range(0, p * p).Select(r => new ModularAdditionInput { A = r / p, B = r % p })));
        var engine = EngineReference.Logits(checkpoint);
        var bound = 1e-4 * Math.Max(1, engine.Max(Math.Abs));
        var row = 0;
        foreach (var logits in scored.GetColumn<float[]>(ModularAdditionColumns.Logits))
        {
            for (var k = 0; k < p; k++) Assert.AreEqual(engine[row * p + k], logits[k], bound);
            row++;
        }
    }

    private static void CheckOrWrite(string path, ModelCheckpoint.Loaded checkpoint, int[] sample)
    {
        var p = checkpoint.Config.P;
        var logits = EngineReference.Logits(checkpoint);
        if (Writing)
        {
            using var w = new BinaryWriter(File.Create(path));
            w.Write(p);
            w.Write(sample.Length);
            foreach (var r in sample) w.Write(r);
            foreach (var r in sample) for (var k = 0; k < p; k++) w.Write(logits[r * p + k]);
            for (var r = 0; r < p * p; r++) w.Write((byte)EngineReference.ArgMax(logits.AsSpan(r * p, p)));
            return;
        }
        Assert.IsTrue(File.Exists(path), $"{path} is missing; write it with BITONNX_WRITE_PLAIN_FIXTURES=1 dotnet test tests/BitOnnx.ML.Tests --filter PlainFixtures");
        using var reader = new BinaryReader(File.OpenRead(path));
        Assert.AreEqual(p, reader.ReadInt32());
        var n = reader.ReadInt32();
        CollectionAssert.AreEqual(sample, Enumerable.Range(0, n).Select(_ => reader.ReadInt32()).ToArray());
        var bound = 1e-4 * Math.Max(1, logits.Max(Math.Abs));
        foreach (var r in sample) for (var k = 0; k < p; k++) Assert.AreEqual(logits[r * p + k], reader.ReadSingle(), bound, $"pair {r} logit {k}");
        for (var r = 0; r < p * p; r++)
            Assert.AreEqual(EngineReference.ArgMax(logits.AsSpan(r * p, p)), reader.ReadByte(), $"argmax of pair {r}");
    }
}
