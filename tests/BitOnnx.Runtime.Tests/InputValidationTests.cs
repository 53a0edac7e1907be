using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Runtime.Tests;

/// <summary>Mistakes in Run's arguments are caught before ORT is called, with the model's expectations listed.</summary>
[TestClass]
public class InputValidationTests
{
    private static readonly byte[] Model = TestModels.TwoInputs();
    private const string InputListing = "Model inputs: ids: Int64 [batch, 3]; x: Float [batch, 3].";

    [TestMethod]
    public void UnknownInputName_IsRejectedWithTheModelsInputs()
    {
        var e = RunExpectingError(("ids", Longs(2, 3)), ("nope", Floats(2, 3)));
        StringAssert.Contains(e.Message, "The model has no input 'nope'.");
        StringAssert.Contains(e.Message, InputListing);
    }

    [TestMethod]
    public void WrongElementType_IsRejected()
    {
        var e = RunExpectingError(("ids", Floats(2, 3)), ("x", Floats(2, 3)));
        StringAssert.Contains(e.Message, "Input 'ids' is Float [2, 3]; the model expects Int64 [batch, 3] (the element type differs).");
    }

    [TestMethod]
    public void WrongRank_IsRejected()
    {
        var e = RunExpectingError(("ids", Longs(2, 3)), ("x", Floats(6)));
        StringAssert.Contains(e.Message, "Input 'x' is Float [6]; the model expects Float [batch, 3] (the rank (1 vs 2) differs).");
    }

    [TestMethod]
    public void WrongFixedDimension_IsRejected_WhileSymbolicDimensionsAcceptAnySize()
    {
        var e = RunExpectingError(("ids", Longs(2, 4)), ("x", Floats(2, 3)));
        StringAssert.Contains(e.Message, "Input 'ids' is Int64 [2, 4]; the model expects Int64 [batch, 3] (the dimension 1 (4 vs 3) differs).");
    }

    [TestMethod]
    public void MissingInput_IsRejected()
    {
        var e = RunExpectingError(("ids", Longs(2, 3)));
        StringAssert.Contains(e.Message, "Input 'x' was not given.");
        StringAssert.Contains(e.Message, InputListing);
    }

    [TestMethod]
    public void UnknownOutputName_IsRejectedWithTheModelsOutputs()
    {
        using var session = new InferenceSession(Model);
        using var ids = Longs(1, 3);
        using var x = Floats(1, 3);
        var e = Assert.ThrowsException<OnnxRuntimeException>(() => session.Run(null, ["ids", "x"], [ids, x], ["logits"]));
        StringAssert.Contains(e.Message, "The model has no output 'logits'. Model outputs: y: Float [batch, 3]; positive: Bool [batch, 3].");
    }

    [TestMethod]
    public void DisposedInputOrSession_IsRejected()
    {
        var session = new InferenceSession(Model);
        var ids = Longs(1, 3);
        using var x = Floats(1, 3);
        ids.Dispose();
        var e = Assert.ThrowsException<OnnxRuntimeException>(() => session.Run(null, ["ids", "x"], [ids, x], ["y"]));
        StringAssert.Contains(e.Message, "Input 'ids' was already disposed.");
        session.Dispose();
        Assert.ThrowsException<ObjectDisposedException>(() => session.Run(null, ["x"], [x], ["y"]));
    }

    private static OnnxRuntimeException RunExpectingError(params (string Name, OrtValue Value)[] inputs)
    {
        using var session = new InferenceSession(Model);
        try
        {
            var e = Assert.ThrowsException<OnnxRuntimeException>(
                () => session.Run(null, inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), ["y"]));
            Assert.AreEqual(ErrorCode.InvalidArgument, e.ErrorCode);
            return e;
        }
        finally
        {
            foreach (var (_, value) in inputs) value.Dispose();
        }
    }

    private static OrtValue Floats(params long[] shape) =>
        OrtValue.CreateTensorValueFromMemory(new float[shape.Aggregate(1L, (a, b) => a * b)], shape);

    private static OrtValue Longs(params long[] shape) =>
        OrtValue.CreateTensorValueFromMemory(new long[shape.Aggregate(1L, (a, b) => a * b)], shape);
}
