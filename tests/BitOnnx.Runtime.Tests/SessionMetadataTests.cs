using BitOnnx.Runtime.Tensors;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Runtime.Tests;

[TestClass]
public class SessionMetadataTests
{
    [TestMethod]
    public void InputAndOutputMetadata_ListNamesTypesAndSymbolicDimensions()
    {
        using var session = new InferenceSession(TestModels.TwoInputs());

        CollectionAssert.AreEqual(new[] { "ids", "x" }, session.InputMetadata.Keys.ToArray());
        CollectionAssert.AreEqual(new[] { "y", "positive" }, session.OutputMetadata.Keys.ToArray());
        var ids = session.InputMetadata["ids"];
        Assert.IsTrue(ids.IsTensor);
        Assert.AreEqual(TensorElementType.Int64, ids.ElementDataType);
        Assert.AreEqual(typeof(long), ids.ElementType);
        CollectionAssert.AreEqual(new[] { -1, 3 }, ids.Dimensions);
        CollectionAssert.AreEqual(new[] { "batch", "" }, ids.SymbolicDimensions);
        Assert.AreEqual("Int64 [batch, 3]", ids.ToString());
        Assert.AreEqual(TensorElementType.Float, session.InputMetadata["x"].ElementDataType);
        Assert.AreEqual(TensorElementType.Bool, session.OutputMetadata["positive"].ElementDataType);
        CollectionAssert.AreEqual(new[] { "batch", "" }, session.OutputMetadata["y"].SymbolicDimensions);
    }

    [TestMethod]
    public void Run_Int64AndBoolTensors_RoundTripThroughTheModel()
    {
        using var session = new InferenceSession(TestModels.TwoInputs());
        long[] ids = [1, -7, 3, 0, 12, -2];
        float[] x = [0.5f, 2f, -4f, -0.25f, 1f, 1.5f];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [2, 3]);
        using var xValue = OrtValue.CreateTensorValueFromMemory(x, [2, 3]);

        using var outputs = session.Run(null, ["x", "ids"], [xValue, idsValue], ["positive", "y"]);

        var expectedY = ids.Zip(x, (i, v) => i + v).ToArray();
        CollectionAssert.AreEqual(expectedY, outputs[1].GetTensorDataAsSpan<float>().ToArray());
        CollectionAssert.AreEqual(expectedY.Select(v => v > 0).ToArray(), outputs[0].GetTensorDataAsSpan<bool>().ToArray());
        Assert.AreEqual(TensorElementType.Bool, outputs[0].GetTensorTypeAndShape().ElementDataType);
    }

    [TestMethod]
    public void Run_WithOneRequestedOutput_ReturnsOnlyThatOutput()
    {
        using var session = new InferenceSession(TestModels.TwoInputs());
        using var idsValue = OrtValue.CreateTensorValueFromMemory(new long[] { 1, 2, 3 }, [1, 3]);
        using var xValue = OrtValue.CreateTensorValueFromMemory(new float[] { -5, 0, 5 }, [1, 3]);

        using var outputs = session.Run(null, new Dictionary<string, OrtValue> { ["ids"] = idsValue, ["x"] = xValue }, ["positive"]);

        Assert.AreEqual(1, outputs.Count);
        CollectionAssert.AreEqual(new[] { false, true, true }, outputs[0].GetTensorDataAsSpan<bool>().ToArray());
    }

    [TestMethod]
    public void RunOptions_Terminate_StopsTheRunUntilCleared()
    {
        using var session = new InferenceSession(TestModels.AddConstant(4, 1f));
        using var input = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 2, 3, 4 }, [1, 4]);
        using var runOptions = new RunOptions { LogId = "terminate-test", Terminate = true };
        var inputs = new Dictionary<string, OrtValue> { ["x"] = input };

        Assert.ThrowsException<OnnxRuntimeException>(() => session.Run(runOptions, inputs, ["y"]).Dispose());
        runOptions.Terminate = false;
        using var outputs = session.Run(runOptions, inputs, ["y"]);

        CollectionAssert.AreEqual(new float[] { 2, 3, 4, 5 }, outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [TestMethod]
    public void RuntimeInfo_ReportsVersionAndCpuProvider()
    {
        StringAssert.StartsWith(OnnxRuntimeInfo.Version, "1.30.");
        CollectionAssert.Contains(OnnxRuntimeInfo.GetAvailableProviders().ToArray(), "CPUExecutionProvider");
        Assert.IsTrue(File.Exists(OnnxRuntimeInfo.LibraryPath));
    }
}
