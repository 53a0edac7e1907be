using System.CommandLine;
using System.Globalization;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Circuits;
using BitOnnx.Engine.Circuits;
using BitOnnx.Pipelines.Circuits;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx circuit</c>: the edges of the model's computational graph that carry its answer, by ACDC, EAP or EAP-IG.</summary>
public static class CircuitCommand
{
    private static readonly string[] Methods = ["acdc", "eap", "eap-ig"];
    private static readonly string[] Metrics = ["kl", "loss"];
    private static readonly string[] Corruptions = ["resample", "mean"];
    private static readonly string[] Backends = ["engine", "onnx"];

    /// <summary>The default threshold, in nats of the metric; why in <see cref="TauHelp"/>.</summary>
    public const string DefaultTau = "0.01";

    private const string TauHelp = "Threshold(s) in nats of the metric, comma-separated: ACDC removes an edge when corrupting it raises the metric by less than τ; " +
        "EAP and EAP-IG keep the edges whose |score| (their estimate of that rise) is at least τ. Several give the faithfulness curve and its area. " +
        "Default " + DefaultTau + ": each removal ACDC accepts adds less than τ, so the circuit stays within (edges removed) × 0.01 nats of the whole " +
        "model (0.39 nats for li2024's 39 edges, 0.69 for nanda2023's 69), a few percent of the 11 to 40 nats that corrupting every edge costs the " +
        "shipped models, while an edge that moves the answer distribution by more (with resampling, every edge the shipped models use moves it by 0.07 nats or more) is kept; " +
        "0.01 sits inside the ACDC paper's sweep (1e-5 to 9e-2).";

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "An .onnx file written by bitonnx export (its config and folded weights rebuild the model on the engine)." };
        var method = new Option<string>("--method")
        {
            Description = "acdc: patch each edge in turn from the output back, remove it for good when the metric moves by less than τ (Conmy et al. 2023). " +
                "eap: every edge's effect estimated from one backward pass at the clean run (Syed et al. 2023). eap-ig: the same with the gradient averaged over --steps points between clean and corrupted (Hanna et al. 2024).",
            DefaultValueFactory = _ => "acdc",
        };
        method.AcceptOnlyFromAmong(Methods);
        var metric = new Option<string>("--metric")
        {
            Description = "kl: KL divergence of the last position's output distribution from the whole model's; loss: cross-entropy of the right answer. Both averaged over all P² pairs. " +
                "(eap of kl is 0 for every edge, the KL being at its minimum at the clean run: use eap-ig or loss.)",
            DefaultValueFactory = _ => "kl",
        };
        metric.AcceptOnlyFromAmong(Metrics);
        var tau = new Option<string>("--tau") { Description = TauHelp, DefaultValueFactory = _ => DefaultTau };
        var corrupt = new Option<string>("--corrupt")
        {
            Description = "What a corrupted edge carries: resample (the sender's output on another pair, one drawn per pair by --seed) or mean (its mean over all pairs).",
            DefaultValueFactory = _ => "resample",
        };
        corrupt.AcceptOnlyFromAmong(Corruptions);
        var json = new Option<string?>("--json") { Description = "Write the circuit(s) to this JSON file: edges_total, edges_kept, metric_recovered, seconds, edges (sender, receiver, score), the curve and its area." };
        var svg = new Option<string?>("--svg")
        {
            Description = "Write the first τ's circuit as an SVG diagram: embeddings at the bottom, each head's q, k and v inputs, heads, MLP and logits above, " +
                "kept edges drawn with a width that grows with the log of their |score|, removed edges faint.",
        };
        var mlpGroups = new Option<string>("--mlp-groups")
        {
            Description = "Split each MLP into this many groups of contiguous neurons, each its own sender and receiver (blocks.0.mlp[group=g]); 1: the MLP is one node. " +
                "frequency: one group per key frequency its neurons cluster at, from the MLP's activations over all pairs (blocks.0.mlp[f=14]), " +
                "dead and unclustered neurons in blocks.0.mlp[other]; one-block models.",
            DefaultValueFactory = _ => "1",
        };
        var seed = new Option<long>("--seed") { Description = "Seed of the resample's draw.", DefaultValueFactory = _ => 0 };
        var steps = new Option<int>("--steps") { Description = "EAP-IG's points between clean and corrupted.", DefaultValueFactory = _ => CircuitSearch.DefaultSteps };
        var threads = new Option<int>("--threads") { Description = "Threads of the engine or of ONNX Runtime's operators (0: every core); the engine's results are the same for any count.", DefaultValueFactory = _ => 0 };
        var backend = new Option<string>("--backend")
        {
            Description = "engine: the engine rebuilt from the export's folded weights (every method). onnx: ONNX Runtime on the model's edge-patched graph " +
                "(each receiver's input rewritten as the sum of its senders, clean or corrupted by an edge-mask input; --method acdc only, as EAP needs gradients). " +
                "Both compute the same function in float32, equal to rounding.",
            DefaultValueFactory = _ => "engine",
        };
        backend.AcceptOnlyFromAmong(Backends);
        var command = new Command("circuit", "Find the circuit: the edges between embeddings, heads, MLPs and logits that the model's answer needs (ACDC, EAP or EAP-IG), the metric with every other edge corrupted and the fraction of the metric recovered.")
        {
            model, method, metric, tau, corrupt, json, svg, mlpGroups, seed, steps, threads, backend,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var taus = Taus(r.GetValue(tau)!);
            var (groups, byFrequency) = MlpGroups(r.GetValue(mlpGroups)!);
            if (r.GetValue(steps) < 1) throw new CliException($"--steps {r.GetValue(steps)} is not a number of points; give 1 or more.");
            if (r.GetValue(threads) < 0) throw new CliException($"--threads {r.GetValue(threads)} is negative; give a number of threads, or 0 for every core.");
            var request = new CircuitRequest(
                r.GetValue(method) switch { "eap" => CircuitMethod.Eap, "eap-ig" => CircuitMethod.EapIg, _ => CircuitMethod.Acdc },
                r.GetValue(metric) == "loss" ? CircuitMetric.Loss : CircuitMetric.KlDivergence,
                taus, r.GetValue(corrupt) == "mean" ? Corruption.Mean : Corruption.Resample, r.GetValue(seed), r.GetValue(steps), r.GetValue(threads), groups,
                r.GetValue(backend) == "onnx" ? CircuitBackend.OnnxRuntime : CircuitBackend.Engine, byFrequency);
            CircuitDiscovery.Check(request);
            var jsonPath = r.GetValue(json);
            if (jsonPath is not null) OutputPath.RequireFile(jsonPath, "the JSON");
            var svgPath = r.GetValue(svg);
            if (svgPath is not null) OutputPath.RequireFile(svgPath, "the diagram");
            var path = r.GetValue(model)!;
            if (!File.Exists(path)) throw new CliException($"ONNX model '{path}' does not exist; give an .onnx file written by bitonnx export.");
            DiscoveredCircuits? found = null;
            AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("finding the circuit", maxValue: 1);
                    found = CircuitDiscovery.Run(path, request, new Progress(v => task.Value = v));
                });
            Print(found!.Report, found.Model);
            if (jsonPath is not null)
            {
                found.WriteJson(jsonPath);
                AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.GetFullPath(jsonPath))}[/].");
            }
            if (svgPath is not null)
            {
                found.WriteSvg(svgPath);
                AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.GetFullPath(svgPath))}[/].");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>--mlp-groups: a number of contiguous groups (1 or more), or "frequency".</summary>
    private static (int Groups, bool ByFrequency) MlpGroups(string text)
    {
        if (text.Trim().Equals("frequency", StringComparison.OrdinalIgnoreCase)) return (1, true);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var groups) || groups < 1)
            throw new CliException($"--mlp-groups {text} is neither a number of groups nor 'frequency'; give 1 or more (1: the MLP is one node), or frequency.");
        return (groups, false);
    }

    private static double[] Taus(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var taus = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out taus[i]) || !(taus[i] > 0) || !double.IsFinite(taus[i]))
                throw new CliException($"--tau '{parts[i]}' is not a positive number; give one threshold or several separated by commas (e.g. --tau 0.001,0.01,0.1).");
        return taus;
    }

    private static void Print(CircuitReport report, string model)
    {
        var metric = report.Metric == CircuitMetric.KlDivergence ? "KL divergence" : "cross-entropy";
        AnsiConsole.MarkupLine(Markup.Escape($"{CircuitReport.NameOf(report.Method)} on {model}: {report.Rows} pairs, {report.EdgesTotal} edges, " +
            $"{CircuitReport.NameOf(report.Corruption)} corruption{(report.Corruption == Corruption.Resample ? $" (seed {report.Seed})" : "")}; " +
            $"{metric}: whole model {F(report.MetricClean)}, every edge corrupted {F(report.MetricCorrupted)}."));
        var first = report.Circuits[0];
        var edges = new Table().AddColumns("sender", "receiver", "score");
        foreach (var edge in first.Edges) edges.AddRow(Markup.Escape(edge.Sender), Markup.Escape(edge.Receiver), F(edge.Score));
        if (first.Edges.Count > 0) AnsiConsole.Write(edges);
        foreach (var circuit in report.Circuits)
            AnsiConsole.MarkupLine(Markup.Escape($"τ = {F(circuit.Tau)}: {circuit.EdgesKept} of {circuit.EdgesTotal} edges kept; {metric} of the circuit {F(circuit.MetricCircuit)}, " +
                $"metric recovered {P(circuit.MetricRecovered)}, {circuit.Seconds.ToString("F2", CultureInfo.InvariantCulture)} s."));
        if (report.Circuits.Count > 1)
            AnsiConsole.MarkupLine(Markup.Escape($"Area under the faithfulness curve (metric recovered against the fraction of edges kept): {F(report.Area)}."));
    }

    private static string F(double v) => double.IsNaN(v) ? "-" : v.ToString("G4", CultureInfo.InvariantCulture);

    private static string P(double v) => double.IsNaN(v) ? "-" : v.ToString("P1", CultureInfo.InvariantCulture);

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Progress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
