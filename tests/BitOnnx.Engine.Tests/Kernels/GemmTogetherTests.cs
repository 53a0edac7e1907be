using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>Two independent products run side by side give each one's own bits, and dependent ones are refused.</summary>
[TestClass]
public sealed class GemmTogetherTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void EachProductHasTheBitsItHasAlone(int threads)
    {
        // A weight gradient (k long, turned round) beside the input gradient that shares its operand, as in the MLP.
        var gradient = new GemmProblem(300, 40, 1500, true, false, true, seed: 1);
        var input = new GemmProblem(1500, 300, 40, false, true, false, seed: 2);
        var gradientAlone = gradient.Run(Gemm.Multiply, threads);
        var inputAlone = input.Run(Gemm.Multiply, threads);

        var gradientC = (float[])gradient.InitialC.Clone();
        var inputC = (float[])input.InitialC.Clone();
        Gemm.MultiplyTogether(
            new GemmCall(gradient.A, gradient.B, gradientC, 300, 40, 1500) { TransposeA = true, Accumulate = true },
            new GemmCall(input.A, input.B, inputC, 1500, 300, 40) { TransposeB = true },
            threads);

        GemmProblem.AssertBitIdentical(gradientAlone, gradientC, $"weight gradient, threads={threads}");
        GemmProblem.AssertBitIdentical(inputAlone, inputC, $"input gradient, threads={threads}");
    }

    [TestMethod]
    public void AnEpilogueRunsInEitherSlot()
    {
        var problem = new GemmProblem(97, 70, 50, false, true, false, seed: 3);
        var expected = problem.Run(Gemm.Multiply);
        ReluReference.Forward(expected, expected);
        var other = new GemmProblem(20, 30, 40, false, false, false, seed: 4);
        var c = new float[97 * 70];
        Gemm.MultiplyTogether(
            new GemmCall(other.A, other.B, new float[20 * 30], 20, 30, 40),
            new GemmCall(problem.A, problem.B, c, 97, 70, 50) { TransposeB = true, Epilogue = EpilogueKind.Relu },
            threads: 2);
        GemmProblem.AssertBitIdentical(expected, c, "ReLU product in the second slot");
    }

    [TestMethod]
    public void DependentProductsAreRefused()
    {
        var a = new float[16];
        var b = new float[16];
        var c = new float[16];
        var readsTheFirstsOutput = new GemmCall(c, b, new float[16], 4, 4, 4);
        var error = Assert.ThrowsException<ArgumentException>(
            () => Gemm.MultiplyTogether(new GemmCall(a, b, c, 4, 4, 4), readsTheFirstsOutput, threads: 2));
        StringAssert.Contains(error.Message, "independent");
        Assert.ThrowsException<ArgumentException>(
            () => Gemm.MultiplyTogether(new GemmCall(a, b, c, 4, 4, 4), new GemmCall(a, b, c, 4, 4, 4), threads: 2));
    }
}
