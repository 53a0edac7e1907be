using System.Globalization;
using BitOnnx.Core;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Onnx.Export;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BitOnnx.ML;

/// <summary>
/// The trainer: Fit trains a transformer on the rows it is given (columns A, B and the label, Int32) with the backend
/// the options name, and returns the predictor (<see cref="ModularAdditionPredictor"/>: ML.NET components only).
/// </summary>
public sealed class ModularAdditionTrainer(MLContext ml, ModularAdditionTrainerOptions options) : IEstimator<ITransformer>
{
    public ModularAdditionTrainerOptions Options { get; } = options;

    /// <summary>The checkpoint of the latest Fit: the weights the returned predictor was exported from.</summary>
    public ModelCheckpoint.Loaded? LastCheckpoint { get; private set; }

    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var config = Options.ToConfig();
        var backend = Options.ToBackend();
        InputColumns.Require(input.Schema, ModularAdditionColumns.A, ModularAdditionColumns.B, Options.LabelColumnName);
        var data = ReadRows(input, config.P);
        var fraction = data.TrainRows.Count / (double)(config.P * config.P);

        var folder = Options.OutputFolder ?? Path.Combine(Path.GetTempPath(), "bitonnx-fit", Guid.NewGuid().ToString("N"));
        var run = new RunFolder(folder);
        try
        {
            var result = new Trainer(config, Options.ToTrainingOptions(fraction), run, new GivenRowsBackend(backend, data))
                .Run(progress: Options.Progress, cancel: Options.Cancellation);
            Options.Cancellation.ThrowIfCancellationRequested();
            // The loop records its own seeded split; the run trained on the given rows, so the files say those.
            var facts = new CheckpointFacts(Options.Seed, result.Epoch, fraction, data.TrainRows);
            ModelCheckpoint.Save(run.ModelFile, config, result.Parameters, facts);
            run.WriteSplit(data);
            LastCheckpoint = ModelCheckpoint.Load(run.ModelFile);
        }
        finally
        {
            if (Options.OutputFolder is null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        return ModularAdditionPredictor.Fitted(ml, MlNetExport.PairGraph(LastCheckpoint));
    }

    /// <summary>Checks the input columns and gives the predictor's output schema (from an untrained export of the config).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        InputColumns.Require(inputSchema, ModularAdditionColumns.A, ModularAdditionColumns.B, Options.LabelColumnName);
        var config = Options.ToConfig();
        var untrained = new ModelCheckpoint.Loaded(config, ParameterInitializer.Initialize(config, Options.Seed),
            new CheckpointFacts(Options.Seed, 0, 0, []), new Dictionary<string, NamedTensor>(), new Dictionary<string, string>());
        return ModularAdditionPredictor.Create(ml, MlNetExport.PairGraph(untrained)).GetOutputSchema(inputSchema);
    }

    /// <summary>The given rows as a split, each checked: addends in 0..P−1, label (A + B) mod P, no pair twice.</summary>
    private ModularAdditionData ReadRows(IDataView input, int p)
    {
        var a = input.GetColumn<int>(ModularAdditionColumns.A).ToArray();
        var b = input.GetColumn<int>(ModularAdditionColumns.B).ToArray();
        var label = input.GetColumn<int>(Options.LabelColumnName).ToArray();
        var firstRowOf = new Dictionary<int, int>();
        string S(long v) => v.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < a.Length; i++)
        {
            if ((uint)a[i] >= (uint)p) throw new BitOnnxException($"Row {S(i)}: A = {S(a[i])} is outside 0..{S(p - 1)} (P = {S(p)}); drop the row or train with a larger P.");
            if ((uint)b[i] >= (uint)p) throw new BitOnnxException($"Row {S(i)}: B = {S(b[i])} is outside 0..{S(p - 1)} (P = {S(p)}); drop the row or train with a larger P.");
            var sum = (a[i] + b[i]) % p;
            if (label[i] != sum)
                throw new BitOnnxException($"Row {S(i)}: {Options.LabelColumnName} = {S(label[i])}, but ({S(a[i])} + {S(b[i])}) mod {S(p)} = {S(sum)}; this trainer learns modular addition, so fix the label.");
            if (!firstRowOf.TryAdd(a[i] * p + b[i], i))
                throw new BitOnnxException($"Row {S(i)} repeats the pair ({S(a[i])}, {S(b[i])}) of row {S(firstRowOf[a[i] * p + b[i]])}; give each pair once.");
        }
        if (a.Length == 0) throw new BitOnnxException("Fit was given no rows; pass the train split (columns A, B and the label).");
        if (a.Length == p * p) throw new BitOnnxException($"Fit was given all {S(p * p)} pairs; leave some out, they are the test split.");
        return ModularAdditionData.FromTrainRows(p, firstRowOf.Keys.ToArray(), Options.Seed, a.Length / (double)(p * p));
    }
}
