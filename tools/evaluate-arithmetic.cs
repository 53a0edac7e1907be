#:project ../src/BitOnnx.Torch/BitOnnx.Torch.csproj
#:property PublishAot=false
// Accuracy of a saved sequence model (tools/train-arithmetic.cs, SequenceTrainer.Save) over fresh uniform questions,
// with the 95% Clopper-Pearson interval and the failures by quanta class.
// Usage: dotnet run tools/evaluate-arithmetic.cs -- MODEL.safetensors QUESTIONS [SEED] [THREADS] [enriched]
// With `enriched` the questions are drawn as training draws them (Quirke et al.'s enrichment: many more cascades).
using System.Diagnostics;
using System.Globalization;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Torch;
using BitOnnx.Torch.Sequence;

var inv = CultureInfo.InvariantCulture;
TorchRuntime.SetThreads(args.Length > 3 ? int.Parse(args[3], inv) : 1);
using var model = SequenceTransformer.Load(args[0]);
bool enriched = args.Length > 4 && args[4] == "enriched";
var task = ArithmeticTask.FromName(model.Config.Task, enriched ? null : ArithmeticEnrichment.None);
long questions = long.Parse(args[1], inv), seed = args.Length > 2 ? long.Parse(args[2], inv) : 2_000_003;
var clock = Stopwatch.StartNew();
var result = ArithmeticEvaluation.Evaluate(model.Logits, task, questions, seed);
Console.WriteLine(string.Create(inv, $"{model.Config.Describe()}: {result.Questions} fresh {(enriched ? "enriched" : "uniform")} questions (seed {seed}): {result.Failures} wrong, accuracy {result.Accuracy:P4}, 95% interval [{result.Interval.Lower:P4}, {result.Interval.Upper:P4}] in {clock.Elapsed.TotalSeconds:F0}s"));
foreach (var c in result.ByClass) Console.WriteLine(string.Create(inv, $"  {c.Class}: {c.Failures} of {c.Questions} wrong"));
foreach (var f in result.FirstFailures) Console.WriteLine("  " + f);
