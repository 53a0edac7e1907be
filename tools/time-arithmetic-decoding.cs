#:project ../src/BitOnnx.Torch/BitOnnx.Torch.csproj
#:project ../src/BitOnnx.Onnx/BitOnnx.Onnx.csproj
#:property PublishAot=false
// Times greedy answers to fresh uniform questions of an arithmetic checkpoint through ONNX Runtime (the checkpoint
// exported in memory) and through TorchSharp, in one process, wall and CPU time each (docs/arithmetic.md, "Export and
// predict"). Both must give the same failures.
// Usage: dotnet run tools/time-arithmetic-decoding.cs -- CHECKPOINT.safetensors QUESTIONS [TORCH_THREADS]
using System.Diagnostics;
using System.Globalization;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Export.Sequence;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Torch;
using BitOnnx.Torch.Sequence;

var inv = CultureInfo.InvariantCulture;
var saved = SequenceCheckpoint.Load(args[0]);
long questions = long.Parse(args[1], inv);
TorchRuntime.SetThreads(args.Length > 2 ? int.Parse(args[2], inv) : 2);
var task = ArithmeticTask.FromName(saved.Config.Task, ArithmeticEnrichment.None);
using var torchModel = new SequenceTransformer(saved.Config);
torchModel.LoadFrom(saved.Parameters);
using var session = SequenceSession.FromModel(SequenceExporter.Export(saved.Config, saved.Parameters, HookSelection.None, HookSelection.None).Model, "timed");

(double Wall, double Cpu, ArithmeticAccuracy Result) Time(SequenceLogits model)
{
    ArithmeticEvaluation.Evaluate(model, task, 200, seed: 7); // warm-up
    using var me = Process.GetCurrentProcess();
    var cpu = me.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    var result = ArithmeticEvaluation.Evaluate(model, task, questions, seed: 3);
    me.Refresh();
    return (wall.Elapsed.TotalSeconds, (me.TotalProcessorTime - cpu).TotalSeconds, result);
}

var onnx = Time(session.Logits);
var torch = Time(torchModel.Logits);
Console.WriteLine(saved.Config.Describe());
Console.WriteLine(string.Create(inv, $"{questions} questions: ONNX Runtime {onnx.Wall:F1} s wall, {onnx.Cpu:F1} s CPU; TorchSharp {torch.Wall:F1} s wall, {torch.Cpu:F1} s CPU"));
Console.WriteLine(string.Create(inv, $"failures: ONNX Runtime {onnx.Result.Failures}, TorchSharp {torch.Result.Failures}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
