// Times a model zip in a plain ML.NET app: Model.Load, the process's first Transform over all P² pairs (every
// PredictedSum read), then warm Transforms, under one ONNX Runtime session setting. One setting per process, so the
// first Transform is really the first. Prints one line of key=value pairs (tools/mlnet-timing.sh collects them).
//
//   dotnet run -c Release --project tests/BitOnnx.PlainMlNet.Timing -- models/li2024-binary/model.zip one-thread
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Onnx;

if (args.Length < 2 || !Settings.Names.Contains(args[1]))
{
    Console.Error.WriteLine($"usage: PlainMlNetTiming MODEL.zip {string.Join('|', Settings.Names)} [P=113] [warm passes=5]");
    return 2;
}
var zip = args[0];
var setting = args[1];
var p = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 113;
var warmPasses = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;

var process = Process.GetCurrentProcess();
var sinceStart = DateTime.Now - process.StartTime;
var ml = new MLContext();
Settings.Apply(ml, setting);

var watch = Stopwatch.StartNew();
var model = ml.Model.Load(zip, out _);
var loadMs = watch.Elapsed.TotalMilliseconds;

var rows = Enumerable.Range(0, p * p).Select(r => new Pair { A = r / p, B = r % p }).ToArray();
var pairs = ml.Data.LoadFromEnumerable(rows);

// The first Transform, with the JIT's work (all threads, and this thread's: the compiling it waited for) and the CPU
// time of all threads beside the wall time, the time to its first row, and the wall time of each block of 1,000 rows
// (where the first pass is slow tells start-up from code that is still warming).
var jitMethods = JitInfo.GetCompiledMethodCount();
var jitTime = JitInfo.GetCompilationTime();
var jitTimeHere = JitInfo.GetCompilationTime(currentThread: true);
var cpu = process.TotalProcessorTime;
var blocks = new List<double>();
watch.Restart();
var correct = 0;
var row = 0;
var blockStart = 0.0;
var firstRowMs = 0.0;
var firstRowJitHereMs = 0.0;
foreach (var v in model.Transform(pairs).GetColumn<int[]>("PredictedSum"))
{
    if (row == 0)
    {
        firstRowMs = watch.Elapsed.TotalMilliseconds;
        firstRowJitHereMs = (JitInfo.GetCompilationTime(currentThread: true) - jitTimeHere).TotalMilliseconds;
    }
    if (v[0] == (rows[row].A + rows[row].B) % p) correct++;
    if (++row % 1000 == 0)
    {
        blocks.Add(watch.Elapsed.TotalMilliseconds - blockStart);
        blockStart = watch.Elapsed.TotalMilliseconds;
    }
}
var firstMs = watch.Elapsed.TotalMilliseconds;
process.Refresh();
var firstCpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds;
var firstJitMethods = JitInfo.GetCompiledMethodCount() - jitMethods;
var firstJitMs = (JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds;
var firstJitHereMs = (JitInfo.GetCompilationTime(currentThread: true) - jitTimeHere).TotalMilliseconds;

var warm = new List<double>();
var warmCpu = new List<double>();
for (var pass = 0; pass < warmPasses; pass++)
{
    process.Refresh();
    cpu = process.TotalProcessorTime;
    watch.Restart();
    var sum = 0;
    foreach (var v in model.Transform(pairs).GetColumn<int[]>("PredictedSum")) sum += v[0];
    warm.Add(watch.Elapsed.TotalMilliseconds);
    process.Refresh();
    warmCpu.Add((process.TotalProcessorTime - cpu).TotalMilliseconds);
    GC.KeepAlive(sum);
}

string F(double v) => v.ToString("F0", CultureInfo.InvariantCulture);
double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
// ML.NET keeps its assembly version at 1.0.0.0; the package version is in the informational version.
string? Version(Type t) => t.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
Console.WriteLine(string.Join(' ',
    $"setting={setting}",
    $"mlnet={Version(typeof(MLContext))}",
    $"ort={OrtEnv.Instance().GetVersionString()}",
    $"startup_ms={F(sinceStart.TotalMilliseconds)}",
    $"load_ms={F(loadMs)}",
    $"first_ms={F(firstMs)}",
    $"first_row_ms={F(firstRowMs)}",
    $"first_row_jit_here_ms={F(firstRowJitHereMs)}",
    $"first_cpu_ms={F(firstCpuMs)}",
    $"first_jit_methods={firstJitMethods}",
    $"first_jit_ms={F(firstJitMs)}",
    $"first_jit_here_ms={F(firstJitHereMs)}",
    $"first_blocks_ms={string.Join(',', blocks.Select(F))}",
    $"warm_ms={F(Median(warm))}",
    $"warm_cpu_ms={F(Median(warmCpu))}",
    $"accuracy={(correct / (double)(p * p)).ToString("F4", CultureInfo.InvariantCulture)}"));
return 0;

internal sealed class Pair
{
    public int A { get; set; }
    public int B { get; set; }
}

/// <summary>The ONNX Runtime session settings compared: what a plain app gets by default and the alternatives.</summary>
internal static class Settings
{
    public static readonly string[] Names = ["default", "one-thread", "two-threads", "no-spin"];

    public static void Apply(MLContext ml, string name)
    {
        switch (name)
        {
            case "default": // nothing set: ONNX Runtime picks its thread count (one per physical core)
                break;
            case "one-thread": // the one line
                ml.SetOnnxSessionOption(new OnnxSessionOptions { IntraOpNumThreads = 1 });
                break;
            case "two-threads": // the default's thread count on 2 cores, but set by hand (ONNX Runtime then pins no thread)
                ml.SetOnnxSessionOption(new OnnxSessionOptions { IntraOpNumThreads = 2 });
                break;
            case "no-spin": // the default's threads, but idle workers sleep instead of spinning
                ml.SetOnnxSessionOption(new OnnxSessionOptions
                {
                    CreateSessionOptions = () =>
                    {
                        var options = new SessionOptions();
                        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                        return options;
                    },
                });
                break;
        }
    }
}
