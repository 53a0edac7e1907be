using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Arguments;
using static BitOnnx.Pipelines.Arguments.OptionValues;

namespace BitOnnx.Pipelines.Training;

/// <summary>One option of `bitonnx train` and what its value does to the request.</summary>
public sealed record TrainArgument(OptionSpec Option, Action<TrainDraft, string?> Apply)
{
    public static TrainArgument Of<T>(OptionSpec<T> option, Action<TrainDraft, T> apply) =>
        new(option, (draft, text) => apply(draft, option.Parse(text!)));
}

/// <summary>
/// Every option of `bitonnx train`, stated once: the CLI builds its options and help from this table and hands what it
/// was given to <see cref="Build(IEnumerable{GivenOption})"/>; a sweep reads its argument lines through the same table
/// and the same Build, so both accept the same values and say the same things about bad ones. Defaults come from Core
/// (<see cref="TransformerConfig"/>, <see cref="TrainingOptions"/>, <see cref="AdamWSettings.Recipe"/>).
/// </summary>
public static class TrainArguments
{
    public const string Command = "bitonnx train";

    private static readonly TrainingOptions Recipe = new();
    private static readonly TransformerConfig DefaultModel = TransformerConfig.FromPreset(new TransformerConfig().Preset);
    private static readonly string[] Quantizations = Names<WeightQuantization>();
    private static readonly string[] Scales = Names<BinaryScale>();
    private static readonly string[] Scopes = Names<QuantScope>();

    public static OptionSpec<string> Out { get; } = new("--out", "Run folder to write (model.safetensors, metrics.csv, config.json, split.json); one that holds a run is refused without --resume or --force.",
        null, "the run folder is a path", "FOLDER", Text(), "-o");
    public static FlagSpec Resume { get; } = new("--resume", "Continue the run in --out from its last saved epoch (same settings).");
    public static FlagSpec Force { get; } = new("--force", "Replace the run that --out already holds (its files are deleted first, and the command says so).");
    public static OptionSpec<long> Seed { get; } = new("--seed", "Seed of the initial weights and of the train/test split.",
        Show(Recipe.Seed), "the seed is a whole number, 0 or more", "N", LongWholeNumber(0));

    public static IReadOnlyList<TrainArgument> All { get; } =
    [
        TrainArgument.Of(new OptionSpec<string>("--preset", "Model preset: li2024 (RMSNorm, no positions, no mask) or nanda2023 (learned positions, causal).",
            DefaultModel.Preset, $"the preset is {OrList(TransformerConfig.PresetNames)}", string.Join('|', TransformerConfig.PresetNames), Choice(TransformerConfig.PresetNames)),
            (d, v) => d.Preset = v),
        TrainArgument.Of(new OptionSpec<string>("--quant", "Weights of W_Q, W_K, W_V, W_O, W_in, W_out: none, binary or ternary.",
            Name(DefaultModel.Quantization), $"the weights are {OrList(Quantizations)}", string.Join('|', Quantizations), Choice(Quantizations)),
            (d, v) => d.Model.Add(c => c with { Quantization = Parse<WeightQuantization>(v) })),
        TrainArgument.Of(new OptionSpec<string>("--binary-scale", "Binary weight scale: none (Li 2024) or absmean (BitNet's β = mean|W|).",
            Name(DefaultModel.BinaryScale), $"the binary scale is {OrList(Scales)}", string.Join('|', Scales), Choice(Scales)),
            (d, v) => d.Model.Add(c => c with { BinaryScale = Parse<BinaryScale>(v) })),
        TrainArgument.Of(new OptionSpec<string>("--quant-scope", "What --quant quantizes: linears (the six linears, Li 2024) or all (also embed.W_E and unembed.W_U).",
            Name(DefaultModel.QuantScope), $"the scope is {OrList(Scopes)}", string.Join('|', Scopes), Choice(Scopes)),
            (d, v) => d.Model.Add(c => c with { QuantScope = Parse<QuantScope>(v) })),
        TrainArgument.Of(new OptionSpec<int>("--p", "The modulus P: tokens 0..P-1 are numbers, P is '='.",
            Show(DefaultModel.P), "P is the modulus, a whole number from 2 to 46000", "P", WholeNumber(2, 46_000)),
            (d, v) => d.Model.Add(c => c with { P = v })),
        TrainArgument.Of(new OptionSpec<int>("--d-model", "Residual stream width.",
            Show(DefaultModel.DModel), "d_model is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) => d.Model.Add(c => c with { DModel = v })),
        TrainArgument.Of(new OptionSpec<int>("--n-heads", "Attention heads; they must divide d_model.",
            Show(DefaultModel.NHeads), "the number of heads is a whole number, 1 or more, that divides d_model", "N", WholeNumber(1)),
            (d, v) => d.Model.Add(c => c with { NHeads = v })),
        TrainArgument.Of(new OptionSpec<int>("--d-head", "Width of one head.",
            "d_model / n_heads", "d_head is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) =>
            {
                d.HeadWidthGiven = true;
                d.Model.Add(c => c with { DHead = v });
            }),
        TrainArgument.Of(new OptionSpec<int>("--d-mlp", "MLP hidden width.",
            Show(DefaultModel.DMlp), "d_mlp is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) => d.Model.Add(c => c with { DMlp = v })),
        TrainArgument.Of(new OptionSpec<int>("--n-layers", "Transformer blocks.",
            Show(DefaultModel.NLayers), "the number of layers is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) => d.Model.Add(c => c with { NLayers = v })),
        TrainArgument.Of(new OptionSpec<int>("--epochs", "Full-batch training steps.",
            Show(Recipe.Epochs), "the number of epochs is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) => d.Training.Add(o => o with { Epochs = v })),
        TrainArgument.Of(Seed, (d, v) => d.Training.Add(o => o with { Seed = v })),
        TrainArgument.Of(new OptionSpec<double>("--train-fraction", "Share of the P*P pairs used for training.",
            Show(Recipe.TrainFraction), "the train fraction is a number strictly between 0 and 1, such as 0.3", "X", Number(x => x is > 0 and < 1)),
            (d, v) => d.Training.Add(o => o with { TrainFraction = v })),
        TrainArgument.Of(new OptionSpec<double>("--lr", "AdamW learning rate.",
            Show(Recipe.Optimizer.LearningRate), "the learning rate is a positive number, such as 1e-3", "X", Number(x => x > 0)),
            (d, v) => d.Training.Add(o => o with { Optimizer = o.Optimizer with { LearningRate = v } })),
        TrainArgument.Of(new OptionSpec<double>("--weight-decay", "AdamW decoupled weight decay (0 disables grokking).",
            Show(Recipe.Optimizer.WeightDecay), "the weight decay is a number, 0 or more, such as 1", "X", Number(x => x >= 0)),
            (d, v) => d.Training.Add(o => o with { Optimizer = o.Optimizer with { WeightDecay = v } })),
        TrainArgument.Of(new OptionSpec<int>("--warmup", "Steps of linear learning-rate warm-up.",
            string.Join(", ", TransformerConfig.PresetNames.Select(p => $"{AdamWSettings.Recipe(p).WarmupSteps} for {p}")),
            "the warm-up is a whole number of steps, 0 or more", "N", WholeNumber(0)),
            (d, v) => d.Training.Add(o => o with { Optimizer = o.Optimizer with { WarmupSteps = v } })),
        TrainArgument.Of(new OptionSpec<int>("--log-every", "Write train/test loss and test accuracy to metrics.csv every N epochs (1 = every epoch).",
            Show(Recipe.LogEvery), "the logging interval is a whole number of epochs, 1 or more", "N", WholeNumber(1)),
            (d, v) => d.Training.Add(o => o with { LogEvery = v })),
        TrainArgument.Of(new OptionSpec<int>("--checkpoint-every", "Keep checkpoints/epoch-N.safetensors every N epochs, for progress measures (0 = none).",
            Show(Recipe.CheckpointEvery), "the checkpoint interval is a whole number of epochs, 0 (none) or more", "N", WholeNumber(0)),
            (d, v) => d.Training.Add(o => o with { CheckpointEvery = v })),
        TrainArgument.Of(new OptionSpec<int>("--threads", "Worker threads; results are bit-identical for any count.",
            "the number of CPUs", "the number of threads is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) => d.Training.Add(o => o with { Threads = v })),
        TrainArgument.Of(new OptionSpec<double>("--stop-at-acc", "Stop once a logged test accuracy reaches this fraction (e.g. 0.99); checked every --log-every epochs. A run that stopped so stays stopped on --resume; resume without it (or with a higher one) to go on.",
            null, "the accuracy to stop at is a fraction above 0 and at most 1, such as 0.99", "X", Number(x => x is > 0 and <= 1)),
            (d, v) => d.Training.Add(o => o with { StopAtAccuracy = v })),
        TrainArgument.Of(new OptionSpec<GrokfastSettings>("--grokfast", "Grokfast gradient filter ALPHA,LAMBDA (Lee et al. 2024; the paper uses 0.98,2). Off by default.",
            null, "Grokfast's filter is ALPHA,LAMBDA with ALPHA at least 0 and below 1 and LAMBDA positive, such as 0.98,2", "ALPHA,LAMBDA", Grokfast),
            (d, v) => d.Training.Add(o => o with { Grokfast = v })),
        TrainArgument.Of(new OptionSpec<double>("--bimt", "Brain-inspired modular training with locality cost weight LAMBDA (Liu, Gan and Tegmark 2023): λ, 10λ from 1/4 to 3/4 of --epochs, neuron and head swaps every 200 epochs, recorded in bimt-swaps.csv (docs/bimt.md). Engine backend only. Off by default.",
            null, "BIMT's λ is a positive number, such as 0.1", "LAMBDA", Number(x => x > 0)),
            (d, v) => d.Training.Add(o => o with { Bimt = new BimtSettings(v) })),
        TrainArgument.Of(Out, (d, v) => d.OutputFolder = v),
        new(Resume, (d, _) => d.Resume = true),
        new(Force, (d, _) => d.Force = true),
        TrainArgument.Of(new OptionSpec<string>("--backend", TrainingBackends.Description,
            TrainingBackends.Default, $"the backend is {OrList(TrainingBackends.Names)}", string.Join('|', TrainingBackends.Names), Choice(TrainingBackends.Names)),
            (d, v) => d.Backend = v),
    ];

    public static IReadOnlyList<OptionSpec> Options { get; } = All.Select(a => a.Option).ToList();

    /// <summary>Reads an argument line ("--preset li2024 --quant binary --p 31 --out runs/x") into a request.</summary>
    public static TrainRequest Build(string line) => Build(ArgumentLine.Parse(line, Options, Command));

    /// <summary>
    /// The request the given options describe, on top of the recipe. Every problem (a bad value, a missing --out, a
    /// model or training setting that Core refuses, options that contradict each other) is one sentence of one
    /// <see cref="UsageException"/>.
    /// </summary>
    public static TrainRequest Build(IEnumerable<GivenOption> given)
    {
        var draft = new TrainDraft();
        var problems = new List<string>();
        foreach (var (option, value) in given)
        {
            try
            {
                All.Single(a => a.Option == option).Apply(draft, value);
            }
            catch (UsageException e)
            {
                problems.Add(e.Message);
            }
        }
        if (problems.Count > 0) throw new UsageException(string.Join(" ", problems));

        var config = draft.Model.Aggregate(TransformerConfig.FromPreset(draft.Preset), (c, edit) => edit(c));
        if (!draft.HeadWidthGiven) config = config.WithHeadsSplittingModel();
        var options = draft.Training.Aggregate(new TrainingOptions { Optimizer = AdamWSettings.Recipe(draft.Preset) }, (o, edit) => edit(o));
        problems.AddRange(config.Problems().Select(p => "Invalid model config: " + p));
        problems.AddRange(options.Problems().Select(p => "Invalid training options: " + p));
        if (draft.OutputFolder is null) problems.Add($"{Out.Name} is missing; name the run folder to write, as in {Out.Name} runs/x.");
        if (draft.Resume && draft.Force)
            problems.Add($"{Resume.Name} and {Force.Name} contradict each other: {Resume.Name} continues the run in {Out.Name}, {Force.Name} replaces it; give one.");
        if (problems.Count > 0) throw new UsageException(string.Join(" ", problems));
        return new TrainRequest(config, options, draft.Backend, draft.OutputFolder!, draft.Resume, draft.Force);
    }

    private static GrokfastSettings Grokfast(string text)
    {
        var parts = text.Split(',');
        var style = NumberStyles.Float;
        if (parts.Length != 2 || !double.TryParse(parts[0], style, CultureInfo.InvariantCulture, out var alpha)
            || !double.TryParse(parts[1], style, CultureInfo.InvariantCulture, out var lambda))
            throw new FormatException("is not two numbers ALPHA,LAMBDA");
        var settings = new GrokfastSettings(alpha, lambda);
        return settings.Problems().Any() ? throw new FormatException("is out of range") : settings;
    }

    private static string[] Names<T>() where T : struct, Enum => Enum.GetValues<T>().Select(Name).ToArray();

    private static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static T Parse<T>(string name) where T : struct, Enum => Enum.GetValues<T>().Single(v => Name(v) == name);

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
