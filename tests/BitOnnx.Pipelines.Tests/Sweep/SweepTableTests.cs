using BitOnnx.Pipelines.Sweep;
using BitOnnx.TestSupport;

namespace BitOnnx.Pipelines.Tests.Sweep;

/// <summary>--collect's tables from cell folders written here by hand, against numbers worked out by hand.</summary>
[TestClass]
public sealed class SweepTableTests
{
    [TestMethod]
    public void TheTablesHoldEachCellAndTheMeanAndSdOfEachGridPoint()
    {
        var plan = SweepPlan.Of(SweepSpec.Parse("""{"grid": {"--quant": ["binary", "ternary"]}, "seeds": [0, 1, 2]}""", "spec.json"));
        var folder = new SweepFolder(TempDir.NewPath("bitonnx-sweep-table"), plan);
        Done(folder, 0, 20, "1,4,4.5,0.1", "10,0.5,1,0.995", "20,0.25,0.75,1");
        Done(folder, 1, 20, "1,4,4.5,0.2", "10,0.5,1.5,0.98", "20,0.75,1.25,0.99");
        Directory.CreateDirectory(folder.CellDirectory(2));
        File.WriteAllText(folder.StatusFile(2), """{"state":"failed","epoch":null,"error":"Training diverged at epoch 3."}""");
        Done(folder, 3, 10, "1,3,3,0.5", "10,1,2,0.5");
        // Cells 4 and 5 have not ended: no status.json (cell 4 has metrics, as a running cell would).
        Directory.CreateDirectory(folder.CellDirectory(4));
        File.WriteAllText(Path.Combine(folder.CellDirectory(4), "metrics.csv"), "epoch,train_loss,test_loss,test_acc\n1,3,3,0.5\n");

        SweepTable.Write(folder);

        Assert.AreEqual("""
            index	arguments	seed	status	epochs	train_loss	test_loss	test_acc	epoch_99	error
            0	--quant binary	0	done	20	0.25	0.75	1	10	-
            1	--quant binary	1	done	20	0.75	1.25	0.99	20	-
            2	--quant binary	2	failed	-	-	-	-	-	Training diverged at epoch 3.
            3	--quant ternary	0	done	10	1	2	0.5	-	-
            4	--quant ternary	1	pending	-	-	-	-	-	-
            5	--quant ternary	2	pending	-	-	-	-	-	-

            """.ReplaceLineEndings("\n"), File.ReadAllText(folder.TableTsv));
        // binary: 99% at epochs 10 and 20 -> 15 ± 7.07; train 0.25, 0.75 -> 0.5 ± 0.354; test 0.75, 1.25 -> 1 ± 0.354;
        // accuracy 100 %, 99 % -> 99.50 ± 0.71 %. ternary: one done cell, its values alone, never at 99 %.
        var rows = File.ReadAllLines(folder.TableMarkdown).Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToArray();
        CollectionAssert.AreEqual(new[]
        {
            "| `--quant binary` | 3 | 2 | 1 | 2 | 15 ± 7 | 0.5 ± 0.354 | 1 ± 0.354 | 99.50 ± 0.71 % |",
            "| `--quant ternary` | 3 | 1 | 0 | 0 | – | 1 | 2 | 50.00 % |",
        }, rows);
        StringAssert.StartsWith(File.ReadAllText(folder.TableMarkdown), "# Sweep: 6 cells\n\nBase: none. Seeds: 0, 1, 2.");
    }

    [TestMethod]
    [DataRow(new double[0], "–")]
    [DataRow(new[] { 2.5 }, "2.50")]
    [DataRow(new[] { 1.0, 2.0, 6.0 }, "3.00 ± 2.65")]
    public void MeanAndSampleSd(double[] values, string expected) =>
        Assert.AreEqual(expected, SweepTable.MeanSd(values, v => v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)));

    private static void Done(SweepFolder folder, int index, int epoch, params string[] rows)
    {
        Directory.CreateDirectory(folder.CellDirectory(index));
        File.WriteAllText(Path.Combine(folder.CellDirectory(index), "metrics.csv"), "epoch,train_loss,test_loss,test_acc\n" + string.Join("\n", rows) + "\n");
        File.WriteAllText(folder.StatusFile(index), $$"""{"state":"done","epoch":{{epoch}},"error":null}""");
    }
}
