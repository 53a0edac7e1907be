namespace BitOnnx.Cli.Tests;

[TestClass]
public sealed class ExportPredictVerifyTests
{
    private static readonly Lazy<string> Run = new(() =>
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run("train", "--p", "11", "--d-model", "16", "--n-heads", "2", "--d-mlp", "32", "--quant", "ternary",
            "--epochs", "30", "--out", run);
        Assert.AreEqual(0, r.ExitCode, r.Error);
        return run;
    });

    private static string Checkpoint => Path.Combine(Run.Value, "model.safetensors");

    [TestMethod]
    [DataRow("float")]
    [DataRow("int8")]
    [DataRow("int2")]
    public void ExportThenVerifyPasses(string weights)
    {
        var onnx = Path.Combine(CliProcess.TempFolder(), "model.onnx");
        var export = CliProcess.Run("export", Checkpoint, "-o", onnx, "--weights", weights, "--probes", "all");
        Assert.AreEqual(0, export.ExitCode, export.Error);
        var verify = CliProcess.Run("verify", onnx, Checkpoint);
        Assert.AreEqual(0, verify.ExitCode, verify.Out + verify.Error);
        StringAssert.Contains(verify.Out, "blocks.0.mlp.hook_post");
        StringAssert.Contains(verify.Out, "0 prediction mismatches");
    }

    /// <summary>
    /// Every file export writes is taken by predict and verify: the token graph, the pair signature (ML.NET's), the
    /// embedded-input graph (which carries W_E to look tokens up in) in float and double, and the ML.NET model zip. Each
    /// predicts what the engine does for (5, 7) and verifies against the checkpoint.
    /// </summary>
    [TestMethod]
    [DataRow("tokens.onnx")]
    [DataRow("pair.onnx", "--signature", "pair")]
    [DataRow("embedded.onnx", "--embedded-input")]
    [DataRow("embedded-double.onnx", "--embedded-input", "--double")]
    [DataRow("model.zip")]
    public void EveryExportIsTakenByPredictAndVerify(string file, params string[] options)
    {
        var path = Path.Combine(CliProcess.TempFolder(), file);
        var export = CliProcess.Run(["export", Checkpoint, "-o", path, .. options]);
        Assert.AreEqual(0, export.ExitCode, export.Error);
        var engine = EngineAnswer(5, 7);
        var predict = CliProcess.Run("predict", path, "5", "7");
        Assert.AreEqual(0, predict.ExitCode, predict.Error);
        StringAssert.Contains(predict.Out, $"(5 + 7) mod 11 = {engine}");
        var verify = CliProcess.Run("verify", path, Checkpoint);
        Assert.AreEqual(0, verify.ExitCode, verify.Out + verify.Error);
        StringAssert.Contains(verify.Out, "logits");
        StringAssert.Contains(verify.Out, "0 prediction mismatches");
    }

    /// <summary>The engine's own argmax for (a, b), computed in the test from the checkpoint.</summary>
    private static int EngineAnswer(int a, int b)
    {
        var checkpoint = BitOnnx.Core.Checkpoints.ModelCheckpoint.Load(Checkpoint);
        var logits = BitOnnx.Engine.Model.ActivationCache.Run(checkpoint.Config, checkpoint.Parameters, [a, b, checkpoint.Config.P])[BitOnnx.Core.Model.HookNames.Logits].Data;
        return Array.IndexOf(logits, logits.Max());
    }

    [TestMethod]
    public void PredictPrintsTheSumAndRejectsOutOfRangeTokens()
    {
        var onnx = Path.Combine(CliProcess.TempFolder(), "model.onnx");
        Assert.AreEqual(0, CliProcess.Run("export", Checkpoint, "-o", onnx).ExitCode);
        var ok = CliProcess.Run("predict", onnx, "5", "7");
        Assert.AreEqual(0, ok.ExitCode, ok.Error);
        StringAssert.Matches(ok.Out, new System.Text.RegularExpressions.Regex(@"\(5 \+ 7\) mod 11 = \d+"));
        foreach (var (a, b) in new[] { ("11", "0"), ("3", "-1"), ("x", "1") })
        {
            var bad = CliProcess.Run("predict", onnx, a, b);
            Assert.AreNotEqual(0, bad.ExitCode, $"{a} {b}");
            Assert.AreEqual(1, bad.Error.Trim().Split('\n').Length, bad.Error);
        }
        var all = CliProcess.Run("predict", onnx, "--all");
        StringAssert.Contains(all.Out, "accuracy over all 121 pairs");
    }

    [TestMethod]
    public void ExportFailuresLeaveNoFileBehind()
    {
        var folder = CliProcess.TempFolder();
        Directory.CreateDirectory(folder);
        var onnx = Path.Combine(folder, "model.onnx");
        var missing = CliProcess.Run("export", Path.Combine(folder, "none.safetensors"), "-o", onnx);
        StringAssert.Contains(missing.Error, "does not exist");
        var corrupt = Path.Combine(folder, "corrupt.safetensors");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(Checkpoint)[..200]);
        var r = CliProcess.Run("export", corrupt, "-o", onnx);
        Assert.AreNotEqual(0, r.ExitCode);
        var probes = CliProcess.Run("export", Checkpoint, "-o", onnx, "--probes", "hook_nothing");
        StringAssert.Contains(probes.Error, "Valid for --probes:");
        Assert.AreEqual(0, Directory.GetFiles(folder, "*.onnx*").Length, "no partial .onnx");
    }

    [TestMethod]
    public void CudaRequestedOnTheCpuBuildNamesTheSwitchAndSaysCpuWorks()
    {
        var onnx = Path.Combine(CliProcess.TempFolder(), "model.onnx");
        Assert.AreEqual(0, CliProcess.Run("export", Checkpoint, "-o", onnx).ExitCode);
        foreach (var command in new[] { new[] { "predict", onnx, "1", "2" }, new[] { "verify", onnx, Checkpoint } })
        {
            var r = CliProcess.Run([.. command, "--provider", "cuda"]);
            Assert.AreEqual(1, r.ExitCode, command[0]);
            var line = r.Error.Trim();
            Assert.AreEqual(1, line.Split('\n').Length, $"one line: {r.Error}");
            StringAssert.StartsWith(line, "error: ");
            StringAssert.Contains(line, "-p:OnnxRuntimeFlavor=cuda");
            StringAssert.Contains(line, "The CPU provider works");
        }
    }

    /// <summary>
    /// A model that differs from its checkpoint by a known amount: the export with logits = logits + c for a constant
    /// row c. Every logit moves by exactly c[n] (float rounding aside), so the max |Δ| that verify prints must be
    /// max |c| = 0.375, far above the bound, and verify must exit 1.
    /// </summary>
    [TestMethod]
    public void VerifyExitsOneAndPrintsTheDifferenceOfAPerturbedModel()
    {
        var folder = CliProcess.TempFolder();
        var onnx = Path.Combine(folder, "model.onnx");
        Assert.AreEqual(0, CliProcess.Run("export", Checkpoint, "-o", onnx).ExitCode);
        var offset = new float[11];
        offset[3] = 0.25f;
        offset[8] = -0.375f;
        var perturbed = Path.Combine(folder, "perturbed.onnx");
        WithLogitsOffset(BitOnnx.Onnx.OnnxModel.Load(onnx), offset).Save(perturbed);

        var r = CliProcess.Run("verify", perturbed, Checkpoint);

        Assert.AreEqual(1, r.ExitCode, r.Out + r.Error);
        var row = System.Text.RegularExpressions.Regex.Match(r.Out, @"logits\s*\S\s*([0-9.]+E[+-]\d+)\s*\S\s*([0-9.]+E[+-]\d+)\s*\S\s*([0-9.]+E[+-]\d+)");
        Assert.IsTrue(row.Success, r.Out);
        double maxDelta = double.Parse(row.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        double bound = double.Parse(row.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.AreEqual(0.375, maxDelta, 0.375 * 5e-3, $"printed max |Δ| of logits: {row.Value}");
        Assert.IsTrue(bound < maxDelta, $"bound {bound} is below the difference");
        StringAssert.Contains(r.Error, "error: some outputs differ by more than the tolerance");

        var unchanged = CliProcess.Run("verify", onnx, Checkpoint);
        Assert.AreEqual(0, unchanged.ExitCode, "the unperturbed export passes");
    }

    /// <summary>
    /// predict's printed answer, by value, on a model whose answer is known exactly: logits = one_hot((a + b) mod P),
    /// built here with the graph builder.
    /// </summary>
    [TestMethod]
    public void PredictPrintsTheModelsAnswer()
    {
        var onnx = Path.Combine(CliProcess.TempFolder(), "exact.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(onnx)!);
        ExactModularAddition(113).Save(onnx);
        foreach (var (a, b) in new[] { (5, 7), (112, 1), (100, 50), (0, 0), (56, 57) })
        {
            var r = CliProcess.Run("predict", onnx, a.ToString(System.Globalization.CultureInfo.InvariantCulture), b.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.AreEqual(0, r.ExitCode, r.Error);
            Assert.AreEqual($"({a} + {b}) mod 113 = {(a + b) % 113}", r.Out.Trim());
        }
        var all = CliProcess.Run("predict", onnx, "--all");
        StringAssert.Contains(all.Out, "accuracy over all 12769 pairs: 12769/12769 = 100.00 %");
    }

    /// <summary>The model with Add(logits, offset) as its last node, the old logits renamed.</summary>
    private static BitOnnx.Onnx.OnnxModel WithLogitsOffset(BitOnnx.Onnx.OnnxModel model, float[] offset)
    {
        var proto = model.Proto.Clone();
        var g = proto.Graph;
        var producer = g.Node.Single(n => n.Output.Contains("logits"));
        producer.Output[producer.Output.IndexOf("logits")] = "logits.before_offset";
        g.Initializer.Add(BitOnnx.Onnx.OnnxTensor.FromArray<float>("logits.offset", offset, [offset.Length]));
        g.Node.Add(new BitOnnx.Onnx.Proto.NodeProto { Name = "logits_offset", OpType = "Add", Input = { "logits.before_offset", "logits.offset" }, Output = { "logits" } });
        return new BitOnnx.Onnx.OnnxModel(proto);
    }

    /// <summary>logits = one_hot((a + b) mod p) from tokens [batch, 3], with the metadata bitonnx.p.</summary>
    private static BitOnnx.Onnx.OnnxModel ExactModularAddition(int p)
    {
        var g = new BitOnnx.Onnx.OnnxGraphBuilder("exact_modular_addition");
        var tokens = g.Input("tokens", BitOnnx.Onnx.TensorElementType.Int64, ["batch", 3]);
        var a = g.Node("Gather", [tokens, g.Scalar("first", 0L)], new BitOnnx.Onnx.NodeAttributes { { "axis", 1L } });
        var b = g.Node("Gather", [tokens, g.Scalar("second", 1L)], new BitOnnx.Onnx.NodeAttributes { { "axis", 1L } });
        var sum = g.Node("Mod", [g.Node("Add", [a, b]), g.Scalar("p", (long)p)]);
        var eye = new float[p * p];
        for (int i = 0; i < p; i++) eye[i * p + i] = 1f;
        g.Output(g.Node("Gather", [g.Initializer("eye", eye, [p, p]), sum], output: "logits"), BitOnnx.Onnx.TensorElementType.Float, ["batch", p]);
        return new BitOnnx.Onnx.OnnxModel(g.Build(new BitOnnx.Onnx.Contract.ExportMetadata(p).Entries()));
    }
}
