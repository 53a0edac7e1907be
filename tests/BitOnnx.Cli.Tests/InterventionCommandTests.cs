using System.Globalization;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// <c>bitonnx ablate</c> and <c>bitonnx patch</c> as scripts use them: the pinned CSV columns and first rows, components
/// named as TransformerLens indexes them, facts any one-layer model must show, and one error line for each bad input
/// with nothing written.
/// </summary>
[TestClass]
public sealed class InterventionCommandTests
{
    private const int P = 13;

    /// <summary>A small li2024 binary model (1 layer, 2 heads, 24 neurons), exported writable with every probe, and without writable hooks.</summary>
    private static readonly Lazy<(string Writable, string Plain)> Models = new(() =>
    {
        var folder = CliProcess.TempFolder();
        var run = Path.Combine(folder, "run");
        var train = CliProcess.Run("train", "--p", P.ToString(CultureInfo.InvariantCulture), "--d-model", "16", "--n-heads", "2", "--d-mlp", "24",
            "--quant", "binary", "--epochs", "40", "--log-every", "40", "--out", run);
        Assert.AreEqual(0, train.ExitCode, train.Error);
        string Export(string file, params string[] options)
        {
            var path = Path.Combine(folder, file);
            var r = CliProcess.Run(["export", Path.Combine(run, "model.safetensors"), "-o", path, .. options]);
            Assert.AreEqual(0, r.ExitCode, r.Error);
            return path;
        }
        return (Export("writable.onnx", "--probes", "all", "--writable", "all"), Export("plain.onnx", "--probes", "all"));
    });

    [TestMethod]
    public void AblateWritesThePinnedTableSortedByEffect()
    {
        var csv = Path.Combine(CliProcess.TempFolder(), "ablation.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(csv)!);
        var r = CliProcess.Run("ablate", Models.Value.Writable, "--kind", "zero", "--csv", csv);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        Assert.AreEqual("", r.Error, "ONNX Runtime's warning for each overridable initializer stays off the terminal");
        var lines = File.ReadAllLines(csv);
        Assert.AreEqual("component,kind,loss,accuracy", lines[0]);
        StringAssert.StartsWith(lines[1], "none,none,");
        var rows = lines.Skip(2).Select(l => l.Split(',')).ToList();
        var expected = new[] { "blocks.0.attn.hook_z[head=0]", "blocks.0.attn.hook_z[head=1]", "blocks.0.hook_resid_pre[pos=0]", "blocks.0.hook_resid_pre[pos=1]",
            "blocks.0.hook_resid_pre[pos=2]", "blocks.0.hook_mlp_out", "blocks.0.hook_attn_out" }
            .Concat(Enumerable.Range(0, 24).Select(n => $"blocks.0.mlp.hook_post[neuron={n}]")).ToArray();
        CollectionAssert.AreEquivalent(expected, rows.Select(c => c[0]).ToArray());
        Assert.IsTrue(rows.All(c => c[1] == "zero"));
        var losses = rows.Select(c => double.Parse(c[2], CultureInfo.InvariantCulture)).ToArray();
        for (var i = 1; i < losses.Length; i++) Assert.IsTrue(losses[i - 1] >= losses[i], "sorted by effect, largest first");
        StringAssert.Contains(r.Out, "blocks.0.hook_mlp_out");
    }

    [TestMethod]
    public void PatchingTheChangedOperandRestoresTheCleanRunAndTheOthersNothing()
    {
        var csv = Path.Combine(CliProcess.TempFolder(), "patching.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(csv)!);
        var r = CliProcess.Run("patch", Models.Value.Writable, "--partner", "b+1", "--hooks", "resid_pre,attn_out,mlp_out,z", "--csv", csv);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        Assert.AreEqual("", r.Error);
        var lines = File.ReadAllLines(csv);
        Assert.AreEqual("component,metric,value,effect,restored,attribution", lines[0]);
        StringAssert.StartsWith(lines[1], "clean,logit-difference,");
        StringAssert.StartsWith(lines[2], "corrupted,logit-difference,");
        var rows = lines.Skip(3).Select(Fields).ToDictionary(c => c[0]);
        Assert.AreEqual(3 + 3 + 3 + 3 * 2, rows.Count, "resid_pre, attn_out and mlp_out at 3 positions, z at 3 positions × 2 heads");
        double Restored(string component) => double.Parse(rows[component][4], CultureInfo.InvariantCulture);
        // (a, b) against (a, b + 1): only position 1's token differs. Its residual stream patched in makes the clean run;
        // position 0's and the '=' position's are the same in both runs; in the only block, only the last position's
        // outputs reach the logits, and its attention output is all that differs there before the MLP.
        Assert.AreEqual(1, Restored("blocks.0.hook_resid_pre[pos=1]"), 1e-5);
        Assert.AreEqual(0, Restored("blocks.0.hook_resid_pre[pos=0]"), 1e-9);
        Assert.AreEqual(0, Restored("blocks.0.hook_resid_pre[pos=2]"), 1e-9);
        Assert.AreEqual(1, Restored("blocks.0.hook_attn_out[pos=2]"), 1e-5);
        foreach (var t in new[] { 0, 1 })
        {
            Assert.AreEqual(0, Restored($"blocks.0.hook_mlp_out[pos={t}]"), 1e-9);
            Assert.AreEqual(0, Restored($"blocks.0.attn.hook_z[head=0, pos={t}]"), 1e-9);
        }
        Assert.IsTrue(rows.Values.All(c => c[5].Length > 0), "every node has its attribution estimate");
        StringAssert.Contains(r.Out, "Pearson r =");
    }

    [TestMethod]
    public void OnePairIsPatchedAgainstAnother()
    {
        var r = CliProcess.Run("patch", Models.Value.Writable, "--clean", "3,5", "--corrupt", "3,6", "--hooks", "resid_pre", "--metric", "loss", "--no-attribution");
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        StringAssert.Contains(r.Out, "clean (3, 5), corrupted (3, 6): 1 row(s); cross-entropy");
        Assert.IsFalse(r.Out.Contains("Pearson", StringComparison.Ordinal), "no attribution asked for");
    }

    [TestMethod]
    [DataRow("bare", "--writable all")]
    [DataRow("hooks", "'bogus' is not something to patch")]
    [DataRow("half", "--clean and --corrupt come together")]
    [DataRow("range", "outside 0..12")]
    [DataRow("same", "have the same answer")]
    [DataRow("text", "is not a pair A,B")]
    public void BadPatchInputIsOneErrorLineAndNoCsv(string bad, string message)
    {
        var csv = Path.Combine(CliProcess.TempFolder(), "patching.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(csv)!);
        var (writable, plain) = Models.Value;
        string[] args = bad switch
        {
            "bare" => ["patch", plain],
            "hooks" => ["patch", writable, "--hooks", "z,bogus"],
            "half" => ["patch", writable, "--clean", "1,2"],
            "range" => ["patch", writable, "--clean", "1,13", "--corrupt", "1,2"],
            "same" => ["patch", writable, "--clean", "1,2", "--corrupt", "2,1"],
            _ => ["patch", writable, "--clean", "1;2", "--corrupt", "1,3"],
        };
        var r = CliProcess.Run([.. args, "--csv", csv]);
        Assert.AreEqual(1, r.ExitCode, r.Out + r.Error);
        var errors = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(1, errors.Length, r.Error);
        StringAssert.StartsWith(errors[0], "error: ");
        StringAssert.Contains(errors[0], message);
        Assert.IsFalse(File.Exists(csv), "nothing written");
    }

    [TestMethod]
    public void AblatingAModelWithoutWritableHooksSaysHowToExportOne()
    {
        var r = CliProcess.Run("ablate", Models.Value.Plain);
        Assert.AreEqual(1, r.ExitCode);
        StringAssert.StartsWith(r.Error, "error: ");
        StringAssert.Contains(r.Error, "--writable all");
        Assert.AreEqual(1, r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, r.Error);
    }

    [TestMethod]
    public void OnnxRuntimesLogComesThroughOnlyWhenAskedFor()
    {
        var writable = Models.Value.Writable;
        // The session that writes makes ONNX Runtime warn once per overridable initializer; asked for, that reaches stderr.
        var asked = CliProcess.Run(new Dictionary<string, string> { ["BITONNX_ORT_LOG"] = "warning" }, ["ablate", writable, "--what", "mlp"]);
        Assert.AreEqual(0, asked.ExitCode, asked.Error);
        StringAssert.Contains(asked.Error, "will not be treated as constant");
        var quiet = CliProcess.Run("ablate", writable, "--what", "mlp");
        Assert.AreEqual(0, quiet.ExitCode, quiet.Error);
        Assert.AreEqual("", quiet.Error);
        var bad = CliProcess.Run(new Dictionary<string, string> { ["BITONNX_ORT_LOG"] = "loud" }, ["predict", writable, "1", "2"]);
        Assert.AreEqual(1, bad.ExitCode);
        Assert.AreEqual("error: BITONNX_ORT_LOG=loud is not a log level; give verbose, info, warning, error or fatal (or leave it unset).", bad.Error.Trim());
    }

    /// <summary>A CSV line's fields; a quoted field may hold commas.</summary>
    private static string[] Fields(string line)
    {
        var fields = new List<string>();
        var quoted = false;
        var field = new System.Text.StringBuilder();
        foreach (var c in line)
        {
            if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields.ToArray();
    }
}
