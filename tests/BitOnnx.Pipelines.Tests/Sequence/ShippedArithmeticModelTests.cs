using System.Text.Json;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Pipelines.Sequence;
using BitOnnx.TestSupport;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Pipelines.Tests.Sequence;

/// <summary>models/add5-fp: its card's command describes the model it holds, and it answers the cascade cases.</summary>
[TestClass]
public sealed class ShippedArithmeticModelTests
{
    private static string Folder => Path.Combine(RepositoryRoot.Path, "models", "add5-fp");

    [TestMethod]
    public void TheCardsCommandDescribesTheShippedCheckpoint()
    {
        var checkpoint = SequenceCheckpoint.Load(Path.Combine(Folder, "model.safetensors"));
        Assert.IsNull(checkpoint.FirstMoments, "the shipped copy holds the weights alone");
        var card = File.ReadAllText(Path.Combine(Folder, "README.md"));
        var line = card.Split('\n').Single(l => l.StartsWith("bitonnx train ", StringComparison.Ordinal)).Trim();
        var request = SequenceTrainArguments.Build(line["bitonnx train ".Length..]);
        Assert.AreEqual(request.Config, checkpoint.Config);
        Assert.AreEqual((request.Options.Seed, request.Options.Steps), (checkpoint.Seed, checkpoint.Step));
        // It was trained on TorchSharp: were the engine ever made the default, the card would have to say --backend torchsharp.
        Assert.AreEqual("torchsharp", request.Backend);
        Assert.IsFalse(File.ReadAllText(Path.Combine(Folder, "config.json")).Contains("backend", StringComparison.Ordinal), "a TorchSharp run's config.json names no backend");
        Assert.IsTrue(new FileInfo(Path.Combine(Folder, "model.safetensors")).Length < 2_000_000);
    }

    /// <summary>Carries through every column, and none: answers by a plain loop that feeds the whole sequence, against integer arithmetic.</summary>
    [TestMethod]
    [DataRow(99999L, 1L)]
    [DataRow(0L, 0L)]
    [DataRow(12345L, 54321L)]
    [DataRow(45454L, 54546L)]
    public void TheShippedModelAddsAcrossCascades(long x, long y)
    {
        using var model = SequenceTransformer.Load(Path.Combine(Folder, "model.safetensors"));
        const int length = 19, start = 12, vocab = 15;
        var tokens = new int[length];
        var text = $"{x:D5}+{y:D5}=";
        for (int i = 0; i < start; i++) tokens[i] = text[i] switch { '+' => 10, '=' => 12, var c => c - '0' };
        for (int p = start; p < length; p++)
        {
            var logits = model.Logits(tokens, 1, length);
            int best = 0;
            for (int u = 1; u < vocab; u++) if (logits[(p - 1) * vocab + u] > logits[(p - 1) * vocab + best]) best = u;
            tokens[p] = best;
        }
        Assert.AreEqual(10, tokens[start], "the sign is +");
        long sum = 0;
        for (int p = start + 1; p < length; p++) sum = sum * 10 + tokens[p];
        Assert.AreEqual(x + y, sum);
    }

    [TestMethod]
    public void ItsEvaluationIsWrittenBesideIt()
    {
        using var eval = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "eval.json")));
        var root = eval.RootElement;
        Assert.AreEqual(100_000, root.GetProperty("questions").GetInt64());
        Assert.IsTrue(root.GetProperty("failures").GetInt64() <= 100, "at least 99.9% of fresh questions");
        Assert.AreEqual(root.GetProperty("questions").GetInt64(), root.GetProperty("by_class").EnumerateArray().Sum(c => c.GetProperty("questions").GetInt64()));
    }
}
