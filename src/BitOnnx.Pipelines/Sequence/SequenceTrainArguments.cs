using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Training;
using BitOnnx.Torch.Sequence;
using static BitOnnx.Pipelines.Arguments.OptionValues;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>One option of `bitonnx train --task addN|subN|mixN` and what its value does to the request.</summary>
public sealed record SequenceTrainArgument(OptionSpec Option, Action<SequenceTrainDraft, string?> Apply)
{
    public static SequenceTrainArgument Of<T>(OptionSpec<T> option, Action<SequenceTrainDraft, T> apply) =>
        new(option, (draft, text) => apply(draft, option.Parse(text!)));
}

/// <summary>
/// Every option of `bitonnx train` for an arithmetic task (Quirke, Neo and Barez 2024), stated once, with its
/// default and why. Options the modular-addition table also has keep their names (<see cref="TrainTasks"/> shows both
/// in one help); the defaults are a model 2 cores train in minutes: 2 layers of 4 heads at d_model 64 (d_head 16,
/// d_mlp 256) for 8,000 steps of 64 at lr 3e-3, which answered all of 200,000 fresh 5-digit additions (docs/arithmetic.md).
/// Quirke et al.'s own size (d_model 510, lr 8e-5, 15K+ steps) is hours here; give it through the options.
/// </summary>
public static class SequenceTrainArguments
{
    public const string DefaultTask = "add5";
    public const string Quirke2024 = "quirke2024";
    public const string NoEnrichment = "none";
    public const long DefaultEvalQuestions = 10_000;
    /// <summary>The seed of the evaluation's fresh uniform questions: fixed, so that every run is asked the same ones.</summary>
    public const long EvalSeed = 1_000_003;

    public static SequenceModelConfig DefaultModel { get; } = new() { DModel = 64, NHeads = 4, DHead = 16, DMlp = 256, NLayers = 2 };
    public static SequenceTrainingOptions Recipe { get; } = new() { Steps = 8_000, LearningRate = 3e-3, MetricsEvery = 100 };

    private static readonly string[] Quantizations = Names<WeightQuantization>();
    private static readonly string[] Scales = Names<BinaryScale>();
    private static readonly string[] Enrichments = [Quirke2024, NoEnrichment];

    public static IReadOnlyList<SequenceTrainArgument> All { get; } =
    [
        SequenceTrainArgument.Of(TrainTasks.Task, (d, v) => d.TaskName = v),
        SequenceTrainArgument.Of(new OptionSpec<string>("--enrichment", "Fresh batches: quirke2024 (60% of batches enriched: sum-9 columns for addition, larger second operands and x = y for subtraction) or none (uniform questions).",
            Quirke2024, $"the enrichment is {OrList(Enrichments)}", string.Join('|', Enrichments), Choice(Enrichments)),
            (d, v) => d.Enrichment = v),
        SequenceTrainArgument.Of(new OptionSpec<string>("--quant", "Weights of W_Q, W_K, W_V, W_O, W_in, W_out: none, binary or ternary.",
            Name(DefaultModel.Quantization), $"the weights are {OrList(Quantizations)}", string.Join('|', Quantizations), Choice(Quantizations)),
            (d, v) => d.Model.Add(c => c with { Quantization = Parse<WeightQuantization>(v) })),
        SequenceTrainArgument.Of(new OptionSpec<string>("--binary-scale", "Binary weight scale: none (Li 2024) or absmean (BitNet's β = mean|W|).",
            Name(DefaultModel.BinaryScale), $"the binary scale is {OrList(Scales)}", string.Join('|', Scales), Choice(Scales)),
            (d, v) => d.Model.Add(c => c with { BinaryScale = Parse<BinaryScale>(v) })),
        SequenceTrainArgument.Of(new OptionSpec<int>("--d-model", "Residual stream width (64 trains 5-digit addition in minutes on 2 cores; Quirke et al.'s 510 takes hours).",
            Show(DefaultModel.DModel), "d_model is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) => d.Model.Add(c => c with { DModel = v })),
        SequenceTrainArgument.Of(new OptionSpec<int>("--n-heads", "Attention heads; they must divide d_model.",
            Show(DefaultModel.NHeads), "the number of heads is a whole number, 1 or more, that divides d_model", "N", WholeNumber(1), "--heads"),
            (d, v) => d.Model.Add(c => c with { NHeads = v })),
        SequenceTrainArgument.Of(new OptionSpec<int>("--d-head", "Width of one head.",
            "d_model / n_heads", "d_head is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) =>
            {
                d.HeadWidthGiven = true;
                d.Model.Add(c => c with { DHead = v });
            }),
        SequenceTrainArgument.Of(new OptionSpec<int>("--d-mlp", "MLP hidden width.",
            "4 x d_model, as Quirke et al.'s 2040 for 510", "d_mlp is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) =>
            {
                d.MlpWidthGiven = true;
                d.Model.Add(c => c with { DMlp = v });
            }),
        SequenceTrainArgument.Of(new OptionSpec<int>("--n-layers", "Transformer blocks (1 layer cannot resolve long carry cascades; 2 add, 3 for mixed in Quirke et al.).",
            Show(DefaultModel.NLayers), "the number of layers is a whole number, 1 or more", "N", WholeNumber(1), "--layers"),
            (d, v) => d.Model.Add(c => c with { NLayers = v })),
        SequenceTrainArgument.Of(new OptionSpec<long>("--steps", "AdamW steps, each on a fresh batch, under a linear warm-up over the first fifth and a cosine to 0 (8000 at the default width answered all of 200,000 fresh 5-digit additions).",
            Show(Recipe.Steps), "the number of steps is a whole number, 1 or more", "N", LongWholeNumber(1)),
            (d, v) => d.Training.Add(o => o with { Steps = v })),
        SequenceTrainArgument.Of(new OptionSpec<int>("--batch", "Questions per step (Quirke et al.'s 64).",
            Show(Recipe.BatchSize), "the batch size is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) => d.Training.Add(o => o with { BatchSize = v })),
        SequenceTrainArgument.Of(new OptionSpec<long>("--seed", "Seed of the initial weights and of every batch.",
            Show(Recipe.Seed), "the seed is a whole number, 0 or more", "N", LongWholeNumber(0)),
            (d, v) => d.Training.Add(o => o with { Seed = v })),
        SequenceTrainArgument.Of(new OptionSpec<double>("--lr", "AdamW peak learning rate (Quirke et al.'s 8e-5 is for d_model 510; small models learn far faster at 3e-3).",
            Show(Recipe.LearningRate), "the learning rate is a positive number, such as 1e-3", "X", Number(x => x > 0)),
            (d, v) => d.Training.Add(o => o with { LearningRate = v })),
        SequenceTrainArgument.Of(new OptionSpec<double>("--weight-decay", "AdamW decoupled weight decay (Quirke et al.'s 0.1).",
            Show(Recipe.WeightDecay), "the weight decay is a number, 0 or more, such as 0.1", "X", Number(x => x >= 0)),
            (d, v) => d.Training.Add(o => o with { WeightDecay = v })),
        SequenceTrainArgument.Of(new OptionSpec<int>("--log-every", "Write the step's loss, answer accuracy and per-slot accuracy to metrics.csv every N steps.",
            Show(Recipe.MetricsEvery), "the logging interval is a whole number of steps, 1 or more", "N", WholeNumber(1)),
            (d, v) => d.Training.Add(o => o with { MetricsEvery = v })),
        SequenceTrainArgument.Of(new OptionSpec<long>("--eval-questions", "Fresh uniform questions the finished model answers (accuracy with its 95% Clopper-Pearson interval, failures by quanta class, eval.json); 0 skips it.",
            Show(DefaultEvalQuestions), "the number of questions is a whole number, 0 or more", "N", LongWholeNumber(0)),
            (d, v) => d.EvalQuestions = v),
        SequenceTrainArgument.Of(new OptionSpec<int>("--threads", "Threads of a step (libtorch's, or the engine's); a run resumes bit for bit with the count it started with.",
            "1", "the number of threads is a whole number, 1 or more", "N", WholeNumber(1)),
            (d, v) => d.Threads = v),
        SequenceTrainArgument.Of(TrainArguments.Out, (d, v) => d.OutputFolder = v),
        new(TrainArguments.Resume, (d, _) => d.Resume = true),
        new(TrainArguments.Force, (d, _) => d.Force = true),
        SequenceTrainArgument.Of(new OptionSpec<string>("--backend", "Training backend: torchsharp (libtorch through TorchSharp, the default, which the shipped add5-fp was trained on) or engine (about 1.6x faster a step at d_model 64, the same bits for any --threads); a run resumes on the backend it started on.",
            SequenceTrainingBackends.Default, $"the backend is {OrList(SequenceTrainingBackends.Names)}", string.Join('|', SequenceTrainingBackends.Names), Choice(SequenceTrainingBackends.Names)),
            (d, v) => d.Backend = v),
    ];

    public static IReadOnlyList<OptionSpec> Options { get; } = All.Select(a => a.Option).ToList();

    /// <summary>
    /// Reads an argument line ("--task add3 --steps 100 --out runs/x") into a request, against the whole command's
    /// table, so that an option of modular addition is named as one.
    /// </summary>
    public static SequenceTrainRequest Build(string line) => Build(ArgumentLine.Parse(line, TrainTasks.Options, TrainArguments.Command));

    /// <summary>
    /// The request the given options describe, on top of the defaults. Options are matched by name, so a front end may
    /// give its own specs (the CLI's merged help). Every problem (a bad value, an option of modular addition, a
    /// missing --out, a model Core refuses) is one sentence of one <see cref="UsageException"/>.
    /// </summary>
    public static SequenceTrainRequest Build(IEnumerable<GivenOption> given)
    {
        var draft = new SequenceTrainDraft();
        var problems = new List<string>();
        var list = given.ToList();
        var task = list.FirstOrDefault(g => g.Option.Name == TrainTasks.Task.Name)?.Value ?? DefaultTask;
        foreach (var (option, value) in list)
        {
            var argument = All.FirstOrDefault(a => a.Option.Name == option.Name);
            if (argument is null)
            {
                problems.Add($"{option.Name} is an option of {TrainTasks.ModularAddition}, not of arithmetic task {task}; leave it out (see `{TrainArguments.Command} --help`).");
                continue;
            }
            try
            {
                argument.Apply(draft, value);
            }
            catch (UsageException e)
            {
                problems.Add(e.Message);
            }
        }
        if (problems.Count > 0) throw new UsageException(string.Join(" ", problems));

        var enrichment = draft.Enrichment == NoEnrichment ? ArithmeticEnrichment.None : ArithmeticEnrichment.Quirke2024;
        ArithmeticTask arithmetic;
        try
        {
            arithmetic = ArithmeticTask.FromName(draft.TaskName, enrichment);
        }
        catch (ConfigException e)
        {
            throw new UsageException($"--task: {e.Message}");
        }
        var config = draft.Model.Aggregate(SequenceModelConfig.ForTask(arithmetic) with
        {
            DModel = DefaultModel.DModel,
            NHeads = DefaultModel.NHeads,
            NLayers = DefaultModel.NLayers,
        }, (c, edit) => edit(c));
        if (!draft.HeadWidthGiven)
        {
            if (config.NHeads > 0 && config.DModel % config.NHeads != 0)
                problems.Add($"Invalid model config: n_heads ({config.NHeads}) must divide d_model ({config.DModel}); choose heads that divide it, or give --d-head.");
            config = config with { DHead = Math.Max(1, config.DModel / Math.Max(1, config.NHeads)) };
        }
        if (!draft.MlpWidthGiven) config = config with { DMlp = 4 * config.DModel };
        var options = draft.Training.Aggregate(Recipe, (o, edit) => edit(o));
        problems.AddRange(config.Problems().Select(p => "Invalid model config: " + p));
        problems.AddRange(options.Problems().Select(p => "Invalid training options: " + p));
        if (draft.OutputFolder is null) problems.Add($"{TrainArguments.Out.Name} is missing; name the run folder to write, as in {TrainArguments.Out.Name} runs/x.");
        if (draft.Resume && draft.Force)
            problems.Add($"{TrainArguments.Resume.Name} and {TrainArguments.Force.Name} contradict each other: {TrainArguments.Resume.Name} continues the run in {TrainArguments.Out.Name}, {TrainArguments.Force.Name} replaces it; give one.");
        if (problems.Count > 0) throw new UsageException(string.Join(" ", problems));
        return new SequenceTrainRequest(arithmetic, config, options, draft.Backend, draft.OutputFolder!, draft.Resume, draft.Force, draft.EvalQuestions, draft.Threads);
    }

    /// <summary>The name --enrichment gives <paramref name="enrichment"/>.</summary>
    public static string EnrichmentName(ArithmeticEnrichment enrichment) => enrichment == ArithmeticEnrichment.None ? NoEnrichment : Quirke2024;

    private static string[] Names<T>() where T : struct, Enum => Enum.GetValues<T>().Select(Name).ToArray();

    private static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static T Parse<T>(string name) where T : struct, Enum => Enum.GetValues<T>().Single(v => Name(v) == name);

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
