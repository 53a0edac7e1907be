using BitOnnx.Core.Data;
using BitOnnx.Core.Randomness;
using BitOnnx.Core.Tasks;

namespace BitOnnx.Core.Tests.Tasks;

[TestClass]
public sealed class ModularAdditionTaskTests
{
    [TestMethod]
    [DataRow(31, 0L, 0.3)]
    [DataRow(31, 7L, 0.5)]
    [DataRow(113, 0L, 0.3)]
    public void SplitPairsAndLabelsEqualTheExistingData(int p, long seed, double fraction)
    {
        var data = ModularAdditionData.Split(p, fraction, seed);
        var split = new ModularAdditionTask(p).Split(seed, fraction);
        AssertRows(p, data.TrainRows, split.Train);
        AssertRows(p, data.TestRows, split.Test);
        CollectionAssert.AreEqual(ModularAdditionData.Tokens(p, data.TrainRows), split.Train.Tokens, "train tokens, element by element");
        CollectionAssert.AreEqual(ModularAdditionData.Targets(p, data.TrainRows), split.Train.Targets, "train targets, element by element");
        CollectionAssert.AreEqual(ModularAdditionData.Tokens(p, data.TestRows), split.Test.Tokens, "test tokens, element by element");
        CollectionAssert.AreEqual(ModularAdditionData.Targets(p, data.TestRows), split.Test.Targets, "test targets, element by element");
    }

    /// <summary>Each example is [a, b, =] with target (a + b) mod P for its row a·P + b, computed here.</summary>
    private static void AssertRows(int p, IReadOnlyList<int> rows, LabelledBatch batch)
    {
        Assert.AreEqual(rows.Count, batch.Count);
        Assert.AreEqual(1, batch.SlotCount);
        for (int i = 0; i < rows.Count; i++)
        {
            int a = rows[i] / p, b = rows[i] % p;
            CollectionAssert.AreEqual(new[] { a, b, p }, batch.Sequence(i).ToArray());
            Assert.AreEqual((a + b) % p, batch.TargetsOf(i)[0]);
        }
    }

    [TestMethod]
    public void AllListsEveryPairOnceInRowOrder()
    {
        const int p = 7;
        var all = new ModularAdditionTask(p).All();
        Assert.AreEqual(p * p, all.Count);
        for (int a = 0, i = 0; a < p; a++)
            for (int b = 0; b < p; b++, i++)
            {
                CollectionAssert.AreEqual(new[] { a, b, p }, all.Sequence(i).ToArray());
                Assert.AreEqual((a + b) % p, all.Targets[i]);
            }
    }

    [TestMethod]
    public void ShapeAndVocabularyAreTheConfigs()
    {
        var task = new ModularAdditionTask(31);
        Assert.AreEqual(32, task.Vocabulary.Size, "d_vocab = P + 1");
        Assert.AreEqual(31, task.OutputVocabularySize, "d_vocab_out = P");
        Assert.AreEqual(3, task.ContextLength);
        Assert.AreEqual("=", task.Vocabulary.Name(31));
        Assert.AreEqual(17, task.Vocabulary.Token("17"));
        Assert.AreEqual(-1, task.Vocabulary.Token("+"));
        Assert.AreEqual(1, task.Slots.Count);
        Assert.AreEqual(2, task.Slots[0].Position, "read at '='");
        Assert.IsNull(task.Slots[0].TargetPosition, "the residue is not part of the sequence");
    }

    [TestMethod]
    public void ScoreEqualsTheModularAdditionLoss()
    {
        const int p = 13;
        var task = new ModularAdditionTask(p);
        var split = task.Split(3, 0.4);
        var data = ModularAdditionData.Split(p, 0.4, 3);
        var rng = new SeededRandom(11);
        var logits = new float[p * p * p];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(3 * rng.NextGaussian());
        // A few rows right on purpose, so the accuracy is not trivially zero.
        foreach (var row in data.TestRows.Take(20)) logits[row * p + ModularAdditionLoss.Target(row, p)] = 50;

        var testLogits = data.TestRows.SelectMany(r => logits.AsSpan(r * p, p).ToArray()).ToArray();
        var score = TaskMetrics.Score(testLogits, split.Test, p);
        Assert.AreEqual(ModularAdditionLoss.Mean(logits, p, data.TestRows), score.Loss, 1e-12);
        Assert.AreEqual(ModularAdditionLoss.Accuracy(logits, p, data.TestRows), score.AnswerAccuracy, 1e-15);
        Assert.AreEqual(score.AnswerAccuracy, score.SlotAccuracy[0], "one slot: per answer = per position");
    }

    [TestMethod]
    public void BadModulusIsOneSentence()
    {
        var e = Assert.ThrowsExactly<BitOnnx.Core.Model.ConfigException>(() => new ModularAdditionTask(1));
        Assert.IsFalse(e.Message.Contains('\n'));
    }
}
