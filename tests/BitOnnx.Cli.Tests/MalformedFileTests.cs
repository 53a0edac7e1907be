using BitOnnx.Analysis.Runs;
using BitOnnx.Core;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.ML;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using Microsoft.ML;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// Every file parser fed malformed input (truncated, bit-flipped, another format's magic, header lengths past the file)
/// either reads it or fails with one BitOnnxException of one line; no other exception escapes. The parsers: safetensors
/// checkpoints, ONNX models (our reader and ONNX Runtime's), a run folder's config.json, split.json, metrics.csv and
/// stop.json, and ML.NET model zips.
/// </summary>
[TestClass]
public sealed class MalformedFileTests
{
    private static readonly Lazy<(string Run, string Onnx, string Zip)> Files = new(() =>
    {
        var folder = CliProcess.TempFolder();
        var run = new RunFolder(Path.Combine(folder, "run"));
        var config = TransformerConfig.Li2024 with { P = 7, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, Quantization = WeightQuantization.Ternary };
        new Trainer(config, new TrainingOptions { Epochs = 6, LogEvery = 2, Seed = 1, Threads = 1 }, run, EngineBackend.Instance).Run();
        var checkpoint = ModelCheckpoint.Load(run.ModelFile);
        var onnx = Path.Combine(folder, "model.onnx");
        TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Int8, Probes = HookSelection.Every }).Model.Save(onnx);
        var zip = Path.Combine(folder, "model.zip");
        MlNetExport.Save(checkpoint, zip);
        return (run.Path, onnx, zip);
    });

    [TestMethod]
    public void SafetensorsCheckpoints() =>
        Feed(File.ReadAllBytes(Path.Combine(Files.Value.Run, "model.safetensors")), ".safetensors", p => ModelCheckpoint.Load(p),
            HugeSafetensorsHeaders());

    [TestMethod]
    public void OnnxModels() =>
        Feed(File.ReadAllBytes(Files.Value.Onnx), ".onnx", p =>
        {
            OnnxModel.Load(p);
            using var session = ModelSession.Open(p);
        }, [[0x3A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00]]);

    [TestMethod]
    public void MlNetModelZips() =>
        Feed(File.ReadAllBytes(Files.Value.Zip), ".zip", p => MlNetModelFile.Load(new MLContext(seed: 0), p), []);

    [TestMethod]
    [DataRow("config.json")]
    [DataRow("split.json")]
    [DataRow("metrics.csv")]
    [DataRow("stop.json")]
    public void RunFolderFiles(string file)
    {
        var original = File.ReadAllBytes(Path.Combine(Files.Value.Run, file));
        Feed(original, "", variant =>
        {
            // A copy of the run with one file replaced, read the way the analysis and the trainer read it.
            var copy = CliProcess.TempFolder();
            Directory.CreateDirectory(copy);
            foreach (var name in new[] { "config.json", "split.json", "metrics.csv", "stop.json" })
                File.Copy(Path.Combine(Files.Value.Run, name), Path.Combine(copy, name));
            File.Copy(variant, Path.Combine(copy, file), overwrite: true);
            TrainingRun.Load(copy);
            new RunFolder(copy).ReadStop();
        }, []);
    }

    /// <summary>safetensors' 8-byte header length: past the file, past any sane header, and the largest value.</summary>
    private static byte[][] HugeSafetensorsHeaders() =>
        [.. new ulong[] { ulong.MaxValue, 1UL << 40, 100_000_001, 4096 }.Select(n => BitConverter.GetBytes(n).Concat(new byte[64]).ToArray())];

    /// <summary>
    /// Writes each variant of <paramref name="original"/> to a file and reads it with <paramref name="read"/>: the
    /// truncations, other formats and <paramref name="mustFail"/> must fail cleanly; the bit flips may also read
    /// (flipping a weight's low bit leaves a valid file).
    /// </summary>
    private static void Feed(byte[] original, string extension, Action<string> read, byte[][] mustFail)
    {
        var folder = CliProcess.TempFolder();
        Directory.CreateDirectory(folder);
        var variant = 0;
        string Write(byte[] bytes)
        {
            var path = Path.Combine(folder, $"variant-{variant++}{extension}");
            File.WriteAllBytes(path, bytes);
            return path;
        }
        var invalid = new List<(string What, byte[] Bytes)>();
        foreach (var length in new[] { 0, 1, 7, 8, 9, original.Length / 3, original.Length / 2, original.Length - 1 }.Where(l => l < original.Length).Distinct())
            invalid.Add(($"the first {length} of {original.Length} bytes", original[..length]));
        invalid.Add(("a PNG signature", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. new byte[56]]));
        invalid.Add(("a line of text", "this is not a model\n"u8.ToArray()));
        invalid.AddRange(mustFail.Select((b, i) => ($"malformed header {i}", b)));
        foreach (var (what, bytes) in invalid)
        {
            var failure = Fails(() => read(Write(bytes)), what);
            // A text file can be a valid CSV or JSON for some parsers only in principle: ours all need more than one line of prose.
            Assert.IsNotNull(failure, $"{what} was read as a valid file");
        }
        // Flips in the first 4 KiB hit headers and structure; the rest hits data. 200 variants run in seconds; 1,500 with
        // two seeds found nothing more.
        var random = new Random(20261207);
        for (var i = 0; i < 200; i++)
        {
            var bytes = (byte[])original.Clone();
            var flips = i % 3 == 0 ? 8 : 1;
            for (var f = 0; f < flips; f++)
            {
                var at = i % 2 == 0 ? random.Next(Math.Min(bytes.Length, 4096)) : random.Next(bytes.Length);
                bytes[at] ^= (byte)(1 << random.Next(8));
            }
            Fails(() => read(Write(bytes)), $"bit-flip variant {i}");
        }
    }

    /// <summary>Null when <paramref name="read"/> succeeds; its BitOnnxException (one line) when it fails; any other exception fails the test.</summary>
    private static BitOnnxException? Fails(Action read, string what)
    {
        try
        {
            read();
            return null;
        }
        catch (BitOnnxException e)
        {
            Assert.IsFalse(e.Message.Contains('\n'), $"{what}: one line, got: {e.Message}");
            return e;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().FullName} escaped: {e.Message}");
            return null;
        }
    }
}
