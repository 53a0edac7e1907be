#:project ../src/BitOnnx.Engine/BitOnnx.Engine.csproj
#:property PublishAot=false
// BIMT's locality cost (docs/bimt.md) of each model.safetensors named, as the run folder lays it out: every head and
// neuron at the place its file puts it. Beside it the same sum with every length 1 (the mean |w| of each matrix, summed:
// what a layout-blind L1 penalty sees) and their ratio, the |w|-weighted mean length A·|x − y| + l0 of a connection:
// 1.167 when the weights ignore the layout, 0.5 at best. The ratio tells shorter connections from smaller weights.
// Usage: dotnet run tools/locality-cost.cs -- RUN/model.safetensors [...]
using System.Globalization;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;

Console.WriteLine("model,locality_cost,abs_weight,mean_length");
foreach (var path in args)
{
    var model = ModelCheckpoint.Load(path);
    var cost = new LocalityCost(model.Config).Of(model.Parameters, NeuronLayout.Identity(model.Config));
    // The same means with every connection's length 1: the cost a layout-blind L1 penalty would see.
    var weight = LocalityCost.Matrices(model.Config).Sum(name =>
    {
        var m = model.Parameters[name];
        var sum = 0.0;
        foreach (var v in m) sum += Math.Abs(v);
        return sum / m.Length;
    });
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path},{cost:G6},{weight:G6},{cost / weight:G6}"));
}
