using BitOnnx.Pipelines.Sweep;

namespace BitOnnx.Pipelines.Tests.Sweep;

/// <summary>The emitted Slurm script and Kubernetes Job, whole, against the text they must be.</summary>
[TestClass]
public sealed class SweepEmitterTests
{
    private static readonly SweepPlan Plan = SweepPlan.Of(SweepSpec.Parse(
        """{"base": "--p 7 --threads 2", "grid": {"--quant": ["binary", "ternary"]}, "seeds": [0, 1, 2]}""", "spec.json"));

    [TestMethod]
    public void TheSlurmScriptIsAnArrayOverTheCellsRunningTheSameSweep()
    {
        var folder = new SweepFolder("/data/runs/sweep", Plan);
        var script = SweepEmitter.Slurm(folder, new EmitSettings(["/opt/dotnet/dotnet", "/opt/bitonnx/bitonnx.dll"], 2, EmitSettings.DefaultImage, EmitSettings.DefaultClaim));
        Assert.AreEqual("""
            #!/bin/bash
            # bitonnx sweep: 6 cells of /data/runs/sweep/sweep.json, one array task each. Submit: sbatch /data/runs/sweep/sweep.sbatch
            # A task run again resumes its cell (a done cell is skipped); afterwards: bitonnx sweep SPEC -o OUT --collect
            #SBATCH --job-name=bitonnx-sweep
            #SBATCH --array=0-5%2
            #SBATCH --output=/data/runs/sweep/logs/cell-%a.log
            #SBATCH --cpus-per-task=2
            set -euo pipefail
            exec /opt/dotnet/dotnet /opt/bitonnx/bitonnx.dll sweep /data/runs/sweep/sweep.json -o /data/runs/sweep --index "$SLURM_ARRAY_TASK_ID"

            """.ReplaceLineEndings("\n"), script);
    }

    [TestMethod]
    public void TheKubernetesJobIsIndexedOverTheCellsRunningTheSameSweep()
    {
        var folder = new SweepFolder("/data/runs/sweep", Plan);
        var job = SweepEmitter.Kubernetes(folder, new EmitSettings(["bitonnx"], null, "registry.example/bitonnx:1.0", "runs"));
        Assert.AreEqual("""
            # bitonnx sweep: 6 cells of /data/runs/sweep/sweep.json as an Indexed Job, one pod per cell. Apply: kubectl apply -f /data/runs/sweep/sweep-job.yaml
            # Each pod runs the cell JOB_COMPLETION_INDEX names; a pod run again resumes its cell. The image must hold the bitonnx CLI,
            # and the volume claim holds OUT, mounted at the same path. Afterwards: bitonnx sweep SPEC -o OUT --collect
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: bitonnx-sweep
            spec:
              completionMode: Indexed
              completions: 6
              parallelism: 6
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: cell
                      image: "registry.example/bitonnx:1.0"
                      command: ["bitonnx", "sweep", "/data/runs/sweep/sweep.json", "-o", "/data/runs/sweep"]
                      resources:
                        requests:
                          cpu: "2"
                      volumeMounts:
                        - name: sweep
                          mountPath: "/data/runs/sweep"
                  volumes:
                    - name: sweep
                      persistentVolumeClaim:
                        claimName: "runs"

            """.ReplaceLineEndings("\n"), job);
    }

    [TestMethod]
    [DataRow("plain/path-1.0", "plain/path-1.0")]
    [DataRow("with space", "'with space'")]
    [DataRow("it's", "'it'\\''s'")]
    [DataRow("$HOME", "'$HOME'")]
    public void ShellWordsAreQuotedWhenTheyNeedIt(string word, string quoted) => Assert.AreEqual(quoted, SweepEmitter.ShellWord(word));
}
