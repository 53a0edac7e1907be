using BitOnnx.Core.Training;

namespace BitOnnx.Core.Tests.Training;

[TestClass]
public sealed class StopRecordTests
{
    [TestMethod]
    [DataRow(StopReason.AccuracyReached, "accuracy")]
    [DataRow(StopReason.EpochsDone, "epochs")]
    [DataRow(StopReason.Interrupted, "interrupted")]
    public void JsonNamesTheReasonAndReadsBack(StopReason reason, string name)
    {
        var stop = new StopRecord(reason, 2400, 0.9912345678901234, reason == StopReason.AccuracyReached ? 0.99 : null);
        var json = stop.ToJson();
        StringAssert.Contains(json, $"\"stop_reason\":\"{name}\"");
        Assert.AreEqual(stop, StopRecord.Parse(json, "stop.json"));
    }

    [TestMethod]
    public void GrokfastSettingsRoundTripThroughTheirText()
    {
        var settings = new GrokfastSettings(0.98, 2.5);
        Assert.AreEqual("0.98,2.5", settings.ToString());
        Assert.AreEqual(settings, GrokfastSettings.Parse(settings.ToString()));
    }
}
