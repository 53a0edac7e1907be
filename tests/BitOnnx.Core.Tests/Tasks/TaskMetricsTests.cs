using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Core.Tests.Tasks;

[TestClass]
public sealed class TaskMetricsTests
{
    /// <summary>
    /// Planted full-sequence logits [rows, n_ctx, 15]: 10 on the next token at every position, 0 elsewhere, except that
    /// in every fourth row the units slot (A0) puts its 10 on a wrong digit. Per answer 3/4 right, A0 3/4, the rest all;
    /// the loss from the closed form of a softmax with one logit 10 and fourteen 0.
    /// </summary>
    [TestMethod]
    public void PlantedPredictionsScoreAsCountedByHand()
    {
        var task = new ArithmeticTask(3, ArithmeticMix.Mixed);
        var batch = task.Batch(seed: 1, step: 0, batchSize: 40);
        int n = task.ContextLength, v = task.OutputVocabularySize;
        var logits = new float[batch.Count * n * v];
        int wrongRows = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            var s = batch.Sequence(i);
            for (int t = 0; t + 1 < n; t++)
            {
                int predicted = s[t + 1];
                if (t == n - 2 && i % 4 == 0) predicted = (predicted + 1) % 10;
                logits[(i * n + t) * v + predicted] = 10;
            }
            if (i % 4 == 0) wrongRows++;
        }
        var score = TaskMetrics.Score(TaskMetrics.GatherSlots(logits, task, batch.Count), batch, v);

        Assert.AreEqual(1 - (double)wrongRows / batch.Count, score.AnswerAccuracy, 1e-15);
        Assert.AreEqual(task.Slots.Count, score.SlotAccuracy.Count);
        for (int k = 0; k < task.Slots.Count - 1; k++) Assert.AreEqual(1.0, score.SlotAccuracy[k], $"slot {task.Slots[k].Name}");
        Assert.AreEqual("A0", task.Slots[^1].Name);
        Assert.AreEqual(0.75, score.SlotAccuracy[^1]);

        double right = Math.Log(1 + 14 * Math.Exp(-10)), wrong = 10 + right;
        int slots = task.Slots.Count;
        double expected = ((batch.Count * slots - wrongRows) * right + wrongRows * wrong) / (batch.Count * slots);
        Assert.AreEqual(expected, score.Loss, 1e-12);
    }

    [TestMethod]
    public void GatherReadsEachSlotsPosition()
    {
        var task = new ArithmeticTask(2, ArithmeticMix.Addition);
        int n = task.ContextLength, v = task.OutputVocabularySize;
        var logits = Enumerable.Range(0, 2 * n * v).Select(i => (float)i).ToArray();
        var gathered = TaskMetrics.GatherSlots(logits, task, 2);
        Assert.AreEqual(2 * task.Slots.Count * v, gathered.Length);
        for (int row = 0; row < 2; row++)
            for (int s = 0; s < task.Slots.Count; s++)
                Assert.AreEqual((row * n + task.Slots[s].Position) * v, gathered[(row * task.Slots.Count + s) * v]);
    }
}
