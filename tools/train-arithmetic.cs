#:project ../src/BitOnnx.Torch/BitOnnx.Torch.csproj
#:property PublishAot=false
// Trains a sequence model (Quirke et al. 2024's, docs/arithmetic.md) on an arithmetic task, saves it, and prints its
// accuracy over fresh uniform questions with the 95% Clopper-Pearson interval and the failures by quanta class.
// Usage: dotnet run tools/train-arithmetic.cs -- TASK STEPS D_MODEL HEADS LAYERS QUANT LR SEED OUT.safetensors QUESTIONS [THREADS]
//   e.g. dotnet run tools/train-arithmetic.cs -- add5 6000 96 3 2 none 2e-3 1 add5.safetensors 100000
// d_head is d_model / heads and d_mlp 4 · d_model, as their 510 / 170 / 2040.
using System.Diagnostics;
using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Torch;
using BitOnnx.Torch.Sequence;

var inv = CultureInfo.InvariantCulture;
var task = ArithmeticTask.FromName(args[0]);
long steps = long.Parse(args[1], inv);
int dModel = int.Parse(args[2], inv), heads = int.Parse(args[3], inv), layers = int.Parse(args[4], inv);
// QUANT: none, binary, ternary, or binary-absmean (BitNet's β = mean|W| scale, which Li's binary leaves out).
bool absMean = args[5] == "binary-absmean";
var quant = absMean ? WeightQuantization.Binary : Enum.Parse<WeightQuantization>(args[5], ignoreCase: true);
double lr = double.Parse(args[6], inv);
long seed = long.Parse(args[7], inv);
string output = args[8];
long questions = long.Parse(args[9], inv);
TorchRuntime.SetThreads(args.Length > 10 ? int.Parse(args[10], inv) : 1);

var config = SequenceModelConfig.ForTask(task) with
{
    DModel = dModel, NHeads = heads, DHead = dModel / heads, DMlp = 4 * dModel, NLayers = layers, Quantization = quant,
    BinaryScale = absMean ? BinaryScale.AbsMean : BinaryScale.None,
};
var options = new SequenceTrainingOptions { Steps = steps, LearningRate = lr, Seed = seed, MetricsEvery = Math.Max(1, (int)(steps / 20)) };
Console.WriteLine($"{config.Describe()}; {steps} steps of {options.BatchSize}, lr {lr}, seed {seed}");
var clock = Stopwatch.StartNew();
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
using var trainer = SequenceTrainer.Start(config, task, options);
trainer.Run(p => Console.WriteLine(string.Create(inv,
    $"step {p.Step,6} lr {p.LearningRate:E2} loss {p.Score.Loss:F5} answers {p.Score.AnswerAccuracy:P1} slots {string.Join(" ", p.Score.SlotAccuracy.Select(a => a.ToString("F3", inv)))} {clock.Elapsed.TotalSeconds:F0}s")), cancel.Token);
trainer.Save(output);
Console.WriteLine(string.Create(inv, $"saved {output} at step {trainer.Step} after {clock.Elapsed.TotalSeconds:F0}s ({Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F0}s CPU)"));

var uniform = new ArithmeticTask(task.Digits, task.Mix, ArithmeticEnrichment.None);
var result = ArithmeticEvaluation.Evaluate(trainer.Model.Logits, uniform, questions, seed: 1_000_003);
Console.WriteLine(string.Create(inv, $"{result.Questions} fresh uniform questions: {result.Failures} wrong, accuracy {result.Accuracy:P4}, 95% interval [{result.Interval.Lower:P4}, {result.Interval.Upper:P4}]"));
foreach (var c in result.ByClass) Console.WriteLine(string.Create(inv, $"  {c.Class}: {c.Failures} of {c.Questions} wrong"));
foreach (var f in result.FirstFailures) Console.WriteLine("  " + f);
var cascades = task.Mix == ArithmeticMix.Subtraction ? Array.Empty<string>()
    : new[] { new string('9', task.Digits) + "+" + new string('0', task.Digits - 1) + "1", new string('0', task.Digits) + "+" + new string('0', task.Digits) };
foreach (var q in cascades)
    Console.WriteLine($"  {q}={ArithmeticEvaluation.Answer(trainer.Model.Logits, task.ParseQuestion(q))}");
