using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// `--emit slurm` under a real Slurm: munged, slurmctld and slurmd of Debian's slurm-wlm and munge, started here on
/// this host with a private configuration (their own ports, key, spool and state folders), the emitted script submitted
/// with sbatch, the array awaited, the table compared with `--jobs 2`'s, and the daemons stopped. Where Slurm cannot run
/// here the test is inconclusive and says why; <see cref="TheEmittedScriptIsAnArrayOverTheCellsRunningTheSweep"/>
/// checks the script without it.
/// </summary>
[TestClass]
public sealed class SlurmSweepTests
{
    private const string Spec = """{"base": "--p 7 --d-model 16 --n-heads 2 --d-mlp 32 --epochs 30 --log-every 10 --threads 1", "grid": {"--quant": ["binary", "ternary"]}, "seeds": [0, 1]}""";
    private static readonly string[] Daemons = ["munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo"];

    [TestMethod]
    public void TheEmittedScriptIsAnArrayOverTheCellsRunningTheSweep()
    {
        var spec = SweepCommandTests.Spec(Spec);
        var output = CliProcess.TempFolder();
        var r = CliProcess.Run("sweep", spec, "-o", output, "--emit", "slurm");
        Assert.AreEqual(0, r.ExitCode, r.Error);
        var script = Path.Combine(output, "sweep.sbatch");
        StringAssert.Contains(r.Out, $"Submit it with: sbatch {script}");
        var lines = File.ReadAllLines(script);
        Assert.AreEqual("#!/bin/bash", lines[0]);
        CollectionAssert.Contains(lines, "#SBATCH --array=0-3", "one task per cell");
        CollectionAssert.Contains(lines, $"#SBATCH --output={output}/logs/cell-%a.log");
        Assert.IsTrue(Directory.Exists(Path.Combine(output, "logs")), "Slurm does not make the output folder itself");
        var exec = lines.Single(l => l.StartsWith("exec ", StringComparison.Ordinal));
        StringAssert.EndsWith(exec, $" {Path.Combine(AppContext.BaseDirectory, "bitonnx.dll")} sweep {output}/sweep.json -o {output} --index \"$SLURM_ARRAY_TASK_ID\"",
            "this bitonnx, the same sweep, the index from Slurm");
        var check = Run("bash", ["-n", script], null, TimeSpan.FromSeconds(30));
        Assert.AreEqual(0, check.ExitCode, "bash -n: " + check.Output);

        // The command line it runs is the sweep's own: cell 2 through the script's exec line, with the task's variable.
        var task = Run("bash", ["-c", exec[5..]], new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "2", ["NO_COLOR"] = "1" }, TimeSpan.FromMinutes(1));
        Assert.AreEqual(0, task.ExitCode, task.Output);
        StringAssert.Contains(task.Output, "cell 2 done: trained all 30 epochs");
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "cells", "0002", "arguments.txt")), "--quant ternary --seed 0");
    }

    [TestMethod]
    public void TheEmittedScriptRunsUnderSlurmAndGivesTheTableOfJobsTwo()
    {
        if (Environment.UserName != "root") Assert.Inconclusive("slurmd runs jobs as their user only when started as root; run the tests as root (CI does).");
        var missing = Daemons.Where(d => Which(d) is null).ToList();
        if (missing.Count > 0)
            Assert.Inconclusive($"{string.Join(", ", missing)} not found: install Debian's slurm-wlm and munge packages (tools/test.sh does so when it runs as root).");

        var spec = SweepCommandTests.Spec(Spec);
        var reference = CliProcess.TempFolder();
        Assert.AreEqual(0, CliProcess.Run("sweep", spec, "-o", reference, "--jobs", "2").ExitCode);
        var output = CliProcess.TempFolder();
        Assert.AreEqual(0, CliProcess.Run("sweep", spec, "-o", output, "--emit", "slurm").ExitCode);

        using var slurm = LocalSlurm.Start();
        var submit = Run("sbatch", ["--parsable", Path.Combine(output, "sweep.sbatch")], slurm.Environment, TimeSpan.FromSeconds(30));
        Assert.AreEqual(0, submit.ExitCode, submit.Output + slurm.Logs());
        var job = submit.Output.Trim().Split(';')[0];
        var states = slurm.WaitForJob(job, TimeSpan.FromMinutes(3));
        CollectionAssert.AreEqual(Enumerable.Repeat("COMPLETED", 4).ToArray(), states, $"every array task completed\n{slurm.Logs()}");

        for (var i = 0; i < 4; i++) Assert.IsTrue(File.Exists(Path.Combine(output, "logs", $"cell-{i}.log")), $"task {i} wrote its log where the script said");
        var collect = CliProcess.Run("sweep", spec, "-o", output, "--collect");
        Assert.AreEqual(0, collect.ExitCode, collect.Error);
        StringAssert.Contains(collect.Out, "4 done, 0 failed, 0 pending of 4 cells");
        Assert.AreEqual(File.ReadAllText(Path.Combine(reference, "table.tsv")), File.ReadAllText(Path.Combine(output, "table.tsv")));
        Assert.AreEqual(File.ReadAllText(Path.Combine(reference, "table.md")), File.ReadAllText(Path.Combine(output, "table.md")));
    }

    /// <summary>munged, slurmctld and slurmd with a configuration of their own in a temporary folder; disposing stops them.</summary>
    private sealed class LocalSlurm : IDisposable
    {
        private readonly string _folder;

        private LocalSlurm(string folder)
        {
            _folder = folder;
            Environment = new Dictionary<string, string> { ["SLURM_CONF"] = Path.Combine(folder, "slurm.conf") };
        }

        public Dictionary<string, string> Environment { get; }

        public static LocalSlurm Start()
        {
            // Short: munge's socket path must fit a sockaddr_un.
            var folder = Path.Combine("/tmp", "bitonnx-slurm-" + Guid.NewGuid().ToString("N")[..8]);
            foreach (var sub in new[] { "spool", "state", "log" }) Directory.CreateDirectory(Path.Combine(folder, sub));
            var slurm = new LocalSlurm(folder);
            try
            {
                var key = Path.Combine(folder, "munge.key");
                File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(128));
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                var socket = Path.Combine(folder, "munge.socket");
                Require(Run("munged", ["--force", $"--socket={socket}", $"--key-file={key}", $"--pid-file={folder}/munged.pid",
                    $"--log-file={folder}/log/munged.log", $"--seed-file={folder}/munged.seed"], null, TimeSpan.FromSeconds(30)), "munged", slurm);
                var node = System.Environment.MachineName;
                File.WriteAllText(slurm.Environment["SLURM_CONF"], $"""
                    ClusterName=bitonnx
                    SlurmctldHost={node}(127.0.0.1)
                    SlurmctldPort={FreePort()}
                    SlurmdPort={FreePort()}
                    AuthType=auth/munge
                    AuthInfo=socket={socket}
                    CredType=cred/munge
                    SlurmUser=root
                    SlurmdUser=root
                    StateSaveLocation={folder}/state
                    SlurmdSpoolDir={folder}/spool
                    SlurmctldPidFile={folder}/slurmctld.pid
                    SlurmdPidFile={folder}/slurmd.pid
                    SlurmctldLogFile={folder}/log/slurmctld.log
                    SlurmdLogFile={folder}/log/slurmd.log
                    ProctrackType=proctrack/linuxproc
                    TaskPlugin=task/none
                    JobAcctGatherType=jobacct_gather/none
                    AccountingStorageType=accounting_storage/none
                    SelectType=select/cons_tres
                    SelectTypeParameters=CR_CPU
                    SchedulerType=sched/builtin
                    ReturnToService=2
                    MpiDefault=none
                    NodeName={node} NodeAddr=127.0.0.1 CPUs={System.Environment.ProcessorCount} State=UNKNOWN
                    PartitionName=bitonnx Nodes={node} Default=YES MaxTime=INFINITE State=UP

                    """);
                Require(Run("slurmctld", ["-c", "-i"], slurm.Environment, TimeSpan.FromSeconds(30)), "slurmctld", slurm);
                Require(Run("slurmd", ["-c", "-N", node], slurm.Environment, TimeSpan.FromSeconds(30)), "slurmd", slurm);
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (Run("sinfo", ["-h", "-o", "%T"], slurm.Environment, TimeSpan.FromSeconds(10)).Output.Trim() != "idle")
                {
                    if (DateTime.UtcNow > deadline) Assert.Inconclusive($"the local Slurm node did not become idle within 60 s.\n{slurm.Logs()}");
                    Thread.Sleep(250);
                }
                return slurm;
            }
            catch
            {
                slurm.Dispose();
                throw;
            }
        }

        /// <summary>Each task's state once none is pending or running.</summary>
        public string[] WaitForJob(string job, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                var show = Run("scontrol", ["-o", "show", "job", job], Environment, TimeSpan.FromSeconds(10)).Output;
                var states = show.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(l => l.Split(' ').First(w => w.StartsWith("JobState=", StringComparison.Ordinal))["JobState=".Length..]).ToArray();
                if (states.Length == 4 && states.All(s => s is not ("PENDING" or "RUNNING" or "CONFIGURING" or "COMPLETING"))) return states;
                if (DateTime.UtcNow > deadline) Assert.Fail($"the array job did not finish within {timeout}: {string.Join(", ", states)}\n{Logs()}");
                Thread.Sleep(250);
            }
        }

        public string Logs() => string.Join("\n", Directory.GetFiles(Path.Combine(_folder, "log")).Select(f => $"== {f}\n{string.Join("\n", File.ReadLines(f).TakeLast(15))}"));

        public void Dispose()
        {
            Run("scontrol", ["shutdown"], Environment, TimeSpan.FromSeconds(20));
            // The daemons this test started, by the ids they wrote, in case shutdown did not reach them.
            foreach (var name in new[] { "slurmd", "slurmctld", "munged" })
            {
                var pidFile = Path.Combine(_folder, name + ".pid");
                for (var i = 0; i < 40 && File.Exists(pidFile) && Alive(pidFile); i++) Thread.Sleep(100);
                if (File.Exists(pidFile) && Alive(pidFile)) Run("kill", ["-TERM", File.ReadAllText(pidFile).Trim()], null, TimeSpan.FromSeconds(10));
                if (name == "slurmctld") Run("munged", ["--stop", $"--socket={Path.Combine(_folder, "munge.socket")}"], null, TimeSpan.FromSeconds(10));
            }
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // A daemon still writing its log; the folder is in /tmp.
            }
        }

        private static bool Alive(string pidFile) =>
            int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Directory.Exists($"/proc/{pid}");

        private static void Require((int ExitCode, string Output) started, string daemon, LocalSlurm slurm)
        {
            if (started.ExitCode != 0) Assert.Inconclusive($"{daemon} did not start (exit code {started.ExitCode}): {started.Output}\n{slurm.Logs()}");
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }

    private static (int ExitCode, string Output) Run(string file, string[] args, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Which(file) ?? file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(true);
            return (-1, $"{file} timed out after {timeout}");
        }
        return (process.ExitCode, output.Result + error.Result);
    }

    /// <summary>The executable on PATH or in the sbin folders (daemons live there; a test's PATH may lack them).</summary>
    private static string? Which(string name) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin"])
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

}
