using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Torch.Tests.Sequence;

[TestClass]
public sealed class SequenceTrainerTests
{
    private static readonly ArithmeticTask Add2 = new(2, ArithmeticMix.Addition);
    private static readonly SequenceTrainingOptions Options = new() { Steps = 8, BatchSize = 16, LearningRate = 1e-2, Seed = 4, MetricsEvery = 2 };

    /// <summary>Three steps, a checkpoint, three more after loading it: the parameters of six uninterrupted steps, to the bit.</summary>
    [TestMethod]
    public void AResumedRunIsTheUninterruptedRun()
    {
        var c = SequenceTransformerTests.Tiny(Add2);
        var options = Options with { Steps = 6 };
        using var whole = SequenceTrainer.Start(c, Add2, options);
        whole.Run();
        var path = Path.Combine(Path.GetTempPath(), $"bitonnx-resume-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var first = SequenceTrainer.Start(c, Add2, options))
            {
                using var stop = new CancellationTokenSource();
                first.Run(p => { if (p.Step == 2) stop.Cancel(); }, stop.Token);
                Assert.AreEqual(3, first.Step, "cancelled between steps, after the step it was observed in");
                first.Save(path);
            }
            var saved = SequenceCheckpoint.Load(path);
            Assert.AreEqual(("add2", 3L, 4L), (saved.Config.Task, saved.Step, saved.Seed));
            using var resumed = SequenceTrainer.Resume(path, Add2, options);
            resumed.Run();
            Assert.AreEqual(6, resumed.Step);
            var expected = whole.Model.ToNamedTensors();
            var actual = resumed.Model.ToNamedTensors();
            for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i].Data, actual[i].Data, expected[i].Name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ObserverHearsEveryNthStepAndTheLast()
    {
        var steps = new List<long>();
        using var trainer = SequenceTrainer.Start(SequenceTransformerTests.Tiny(Add2), Add2, Options with { Steps = 7, MetricsEvery = 3 });
        trainer.Run(p =>
        {
            steps.Add(p.Step);
            Assert.AreEqual(4, p.Score.SlotAccuracy.Count);
            Assert.IsTrue(p.Score.Loss > 0 && double.IsFinite(p.Score.Loss));
        });
        CollectionAssert.AreEqual(new long[] { 0, 3, 6 }, steps);
    }

    [TestMethod]
    public void AModelForAnotherTaskIsRefusedInOneSentence()
    {
        var e = Assert.ThrowsExactly<Core.Model.ConfigException>(() => SequenceTrainer.Start(SequenceTransformerTests.Tiny(Add2), new ArithmeticTask(3, ArithmeticMix.Addition), Options));
        StringAssert.Contains(e.Message, "made for task 'add2', not 'add3'");
    }
}
