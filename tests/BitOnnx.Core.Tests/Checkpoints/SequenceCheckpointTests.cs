using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Core.Tests.Checkpoints;

[TestClass]
public sealed class SequenceCheckpointTests
{
    private static readonly SequenceModelConfig Config =
        SequenceModelConfig.ForTask(new ArithmeticTask(2, ArithmeticMix.Addition)) with { DModel = 8, NHeads = 2, DHead = 4, DMlp = 16, NLayers = 1 };

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"bitonnx-seq-{Guid.NewGuid():N}.safetensors");

    [TestMethod]
    public void SavedTensorsAndMetadataComeBack()
    {
        var parameters = SequenceModelInitializer.Initialize(Config, seed: 3);
        var moments = parameters.Select(p => p with { Data = p.Data.Select(x => x * 0.5f).ToArray() }).ToList();
        var path = TempPath();
        try
        {
            SequenceCheckpoint.Save(path, new SequenceCheckpoint.Contents(Config, 7, 42, parameters, moments, moments));
            var loaded = SequenceCheckpoint.Load(path);
            Assert.AreEqual((Config, 7L, 42L), (loaded.Config, loaded.Seed, loaded.Step));
            for (int i = 0; i < parameters.Count; i++)
            {
                Assert.AreEqual(parameters[i].Name, loaded.Parameters[i].Name);
                CollectionAssert.AreEqual(parameters[i].Data, loaded.Parameters[i].Data);
                CollectionAssert.AreEqual(moments[i].Data, loaded.SecondMoments![i].Data);
            }
            // The header as a safetensors reader sees it: the task and the config under __metadata__.
            var bytes = File.ReadAllBytes(path);
            var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes)))!;
            Assert.AreEqual("add2", (string?)header["__metadata__"]!["task"]);
            StringAssert.Contains((string?)header["__metadata__"]!["config"], "\"d_model\": 8");
            Assert.IsNotNull(header["blocks.0.attn.W_Q"]);
            Assert.IsNotNull(header["adamw.m.blocks.0.attn.W_Q"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AModelWithoutMomentsLoadsWithoutThem()
    {
        var path = TempPath();
        try
        {
            SequenceCheckpoint.Save(path, new SequenceCheckpoint.Contents(Config, 1, 10, SequenceModelInitializer.Initialize(Config, 1), null, null));
            var loaded = SequenceCheckpoint.Load(path);
            Assert.IsNull(loaded.FirstMoments);
            Assert.IsNull(loaded.SecondMoments);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AMissingOrBadTensorIsOneSentenceNamingIt()
    {
        var path = TempPath();
        try
        {
            var parameters = SequenceModelInitializer.Initialize(Config, 1).ToList();
            parameters[3] = parameters[3] with { Data = parameters[3].Data.Select(_ => float.NaN).ToArray() };
            SequenceCheckpoint.Save(path, new SequenceCheckpoint.Contents(Config, 1, 10, parameters.Where(p => p.Name != "unembed.b_U").ToList(), null, null));
            var e = Assert.ThrowsExactly<CheckpointException>(() => SequenceCheckpoint.Load(path));
            StringAssert.Contains(e.Message, "'unembed.b_U' is missing");
            StringAssert.Contains(e.Message, $"'{parameters[3].Name}' holds a value that is not a finite number");
            SafeTensorsFile.Write(path, parameters, new Dictionary<string, string>());
            e = Assert.ThrowsExactly<CheckpointException>(() => SequenceCheckpoint.Load(path));
            StringAssert.Contains(e.Message, "is not a sequence-model checkpoint");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
