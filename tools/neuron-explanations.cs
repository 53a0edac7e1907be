#:project ../src/BitOnnx.Analysis/BitOnnx.Analysis.csproj
#:property PublishAot=false
// Explains every neuron of each model's last MLP (docs/explanations.md) and rewrites the MLP from the explanations:
// one line per model with the fraction explained (median over live neurons, share ≥ 0.9), dead and polysemantic
// neurons, the kinds of formula, and the rewrite's loss, accuracy and ce_loss_score against the clean and the
// zero-ablated MLP over all P² pairs. Two controls: the formulas given to the wrong neurons (a seeded permutation), and
// explanations without the ReLU fit (polynomials only). Also the largest difference between the ONNX simulator
// (FourierFormulaGraph on ONNX Runtime) and the C# simulator over all pairs and neurons, relative to the largest value. With --csv DIR, each model's explanations as DIR/<model>.csv.
// Usage: dotnet run tools/neuron-explanations.cs -- MODEL.onnx [...] [--csv DIR]
using System.Diagnostics;
using System.Globalization;
using BitOnnx.Analysis.Explanations;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using Microsoft.ML.OnnxRuntime;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var csv = Array.IndexOf(args, "--csv") is var at and >= 0 ? args[at + 1] : null;
var models = args.Where((a, i) => a != "--csv" && (i == 0 || args[i - 1] != "--csv")).ToArray();
Console.WriteLine("model,neurons,dead,polysemantic,fourier,relu_fourier,median_fraction_explained,share_explained_0.9,loss_clean,loss_simulated,loss_zero_mlp,accuracy_clean,accuracy_simulated,accuracy_zero_mlp,ce_loss_score,ce_loss_score_permuted,ce_loss_score_polynomials_only,median_fraction_explained_polynomials_only,onnx_simulator_max_relative_difference,explain_seconds");
foreach (var path in models)
{
    using var session = ModelSession.Open(path);
    var config = session.Metadata.Config!;
    int p = config.P, positions = config.NCtx, m = config.DMlp;
    var hook = HookNames.MlpPost(config.NLayers - 1);
    var post = session.RunGrid([hook])[hook].Data;
    var last = new float[p * p * m];
    for (var r = 0; r < p * p; r++) post.AsSpan((r * positions + positions - 1) * m, m).CopyTo(last.AsSpan(r * m, m));
    var clock = Stopwatch.StartNew();
    var explanations = UnitExplainer.ExplainAll(p, last, m);
    var seconds = clock.Elapsed.TotalSeconds;
    var s = ExplanationSummary.Of(explanations);
    var rewrite = NeuronRewrite.Run(session, explanations);
    var random = new Random(0);
    var permutation = Enumerable.Range(0, m).OrderBy(_ => random.Next()).ToArray();
    var permuted = NeuronRewrite.Run(session, permutation.Select(i => explanations[i]).ToList());
    var polynomials = UnitExplainer.ExplainAll(p, last, m, new ExplainerOptions { Relu = false });
    var polynomialRewrite = NeuronRewrite.Run(session, polynomials);
    var simulated = UnitSimulator.SimulateAll(explanations);
    using var simulator = new InferenceSession(FourierFormulaGraph.Build(explanations.Select(e => e.Formula).ToList()).ToBytes());
    using var tokens = OrtValue.CreateTensorValueFromMemory(ModelSession.GridTokens(p), [p * p, 3]);
    using var outputs = simulator.Run(new RunOptions(), ["tokens"], [tokens], [FourierFormulaGraph.Output]);
    var onnx = outputs[0].GetTensorDataAsSpan<float>();
    var difference = 0.0;
    for (var i = 0; i < simulated.Length; i++) difference = Math.Max(difference, Math.Abs(onnx[i] - simulated[i]));
    difference /= simulated.Max(Math.Abs);
    var name = Path.GetFileNameWithoutExtension(path);
    Console.WriteLine($"{name},{s.Units},{s.Dead},{s.Polysemantic},{s.Fourier},{s.ReluFourier},{s.MedianFractionExplained:F4},{s.ShareExplained:F4}," +
        $"{rewrite.Clean.Loss:G4},{rewrite.Simulated.Loss:G4},{rewrite.ZeroAblated.Loss:G4},{rewrite.Clean.Accuracy:F4},{rewrite.Simulated.Accuracy:F4},{rewrite.ZeroAblated.Accuracy:F4},{rewrite.CeLossScore:F4},{permuted.CeLossScore:F4},{polynomialRewrite.CeLossScore:F4},{ExplanationSummary.Of(polynomials).MedianFractionExplained:F4},{difference:E1},{seconds:F1}");
    if (csv is not null)
    {
        Directory.CreateDirectory(csv);
        ExplanationCsv.Write(Path.Combine(csv, name + ".csv"), explanations);
    }
}
