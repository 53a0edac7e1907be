using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Training;
using BitOnnx.TestSupport;

namespace BitOnnx.Pipelines.Tests.Training;

/// <summary>The one table of `bitonnx train` options: what each value does, and what each bad value says.</summary>
[TestClass]
public sealed class TrainArgumentsTests
{
    /// <summary>At least one bad value per option; a new option without one fails <see cref="EveryOptionHasABadValueHere"/>.</summary>
    private static IReadOnlyDictionary<string, string> BadValues => TrainOptionBadValues.All;

    [TestMethod]
    public void EveryOptionHasABadValueHere() =>
        CollectionAssert.AreEquivalent(TrainArguments.Options.Select(o => o.Name).ToList(), BadValues.Keys.ToList());

    /// <summary>Each bad value is one sentence naming the option, the value and what the option allows.</summary>
    [TestMethod]
    public void EveryBadValueIsOneSentenceNamingTheOptionTheValueAndWhatIsAllowed()
    {
        foreach (var option in TrainArguments.Options)
        {
            var bad = BadValues[option.Name];
            var e = Assert.ThrowsException<UsageException>(() => option.Check(bad), option.Name);
            StringAssert.StartsWith(e.Message, option.Name, option.Name);
            StringAssert.Contains(e.Message, $"'{bad}'", option.Name);
            StringAssert.Contains(e.Message, option.Allowed, option.Name);
            Assert.IsFalse(e.Message.Contains('\n'), option.Name);
        }
    }

    [TestMethod]
    [DataRow("--p abc --out x", "--p 'abc' is not a whole number; P is the modulus, a whole number from 2 to 46000.")]
    [DataRow("--p 1 --out x", "--p '1' is out of range; P is the modulus, a whole number from 2 to 46000.")]
    [DataRow("--epochs 99999999999 --out x", "--epochs '99999999999' is out of range; the number of epochs is a whole number, 1 or more.")]
    [DataRow("--quant quaternary --out x", "--quant 'quaternary' is not a choice; the weights are none, binary or ternary.")]
    [DataRow("--grokfast 0.98 --out x", "--grokfast '0.98' is not two numbers ALPHA,LAMBDA; Grokfast's filter is ALPHA,LAMBDA with ALPHA at least 0 and below 1 and LAMBDA positive, such as 0.98,2.")]
    [DataRow("--grokfast 1.2,2 --out x", "--grokfast '1.2,2' is out of range; Grokfast's filter is ALPHA,LAMBDA with ALPHA at least 0 and below 1 and LAMBDA positive, such as 0.98,2.")]
    [DataRow("--bimt abc --out x", "--bimt 'abc' is not a number; BIMT's λ is a positive number, such as 0.1.")]
    [DataRow("--bimt 0 --out x", "--bimt '0' is out of range; BIMT's λ is a positive number, such as 0.1.")]
    [DataRow("--bimt -0.1 --out x", "--bimt '-0.1' is out of range; BIMT's λ is a positive number, such as 0.1.")]
    [DataRow("--resume yes --out x", "--resume takes no value, but 'yes' follows it; give --resume alone.")]
    [DataRow("--pp 3 --out x", "'--pp' is not an option of bitonnx train; see `bitonnx train --help`. '3' follows no option; write each value after its option, as in --p 31.")]
    [DataRow("--p 7 --p 9 --out x", "--p is given twice; give it once.")]
    [DataRow("--out x --p", "--p needs a value; P is the modulus, a whole number from 2 to 46000.")]
    [DataRow("--p 7", "--out is missing; name the run folder to write, as in --out runs/x.")]
    [DataRow("--out x --resume --force", "--resume and --force contradict each other: --resume continues the run in --out, --force replaces it; give one.")]
    public void ArgumentLinesSayWhatIsWrongInOneLine(string line, string message) =>
        Assert.AreEqual(message, Assert.ThrowsException<UsageException>(() => TrainArguments.Build(line)).Message);

    /// <summary>Settings that each pass their own check but not together: Core's Problems(), all at once.</summary>
    [TestMethod]
    public void CoreProblemsAreListedTogether()
    {
        var e = Assert.ThrowsException<UsageException>(() => TrainArguments.Build("--d-model 8 --n-heads 3 --quant-scope all --out x"));
        Assert.AreEqual("Invalid model config: n_heads (3) must divide d_model (8). Invalid model config: quant_scope all quantizes the embedding and unembedding, " +
            "so it needs binary or ternary weights (use --quant binary or ternary, or --quant-scope linears).", e.Message);
    }

    /// <summary>With no option but --out, the request is docs/recipe.md's recipe, stated here by hand.</summary>
    [TestMethod]
    public void WithoutOptionsTheRequestIsTheRecipe()
    {
        var request = TrainArguments.Build("--out runs/x");
        Assert.AreEqual(TransformerConfig.Li2024, request.Config);
        Assert.AreEqual((113, 128, 4, 32, 512, 1), (request.Config.P, request.Config.DModel, request.Config.NHeads, request.Config.DHead, request.Config.DMlp, request.Config.NLayers));
        var o = request.Options;
        Assert.AreEqual((10_000, 0L, 0.3, 100, 0, Environment.ProcessorCount), (o.Epochs, o.Seed, o.TrainFraction, o.LogEvery, o.CheckpointEvery, o.Threads));
        Assert.AreEqual((1e-3, 1.0, 0.9, 0.98, 1e-8, 0), (o.Optimizer.LearningRate, o.Optimizer.WeightDecay, o.Optimizer.Beta1, o.Optimizer.Beta2, o.Optimizer.Epsilon, o.Optimizer.WarmupSteps));
        Assert.IsNull(o.StopAtAccuracy);
        Assert.IsNull(o.Grokfast);
        Assert.IsNull(o.Bimt);
        Assert.AreEqual(("engine", "runs/x", false, false), (request.Backend, request.OutputFolder, request.Resume, request.Force));
        Assert.AreEqual(10, TrainArguments.Build("--preset nanda2023 --out x").Options.Optimizer.WarmupSteps, "Nanda et al. warm up over 10 steps");
        Assert.AreEqual(TransformerConfig.Nanda2023, TrainArguments.Build("--preset nanda2023 --out x").Config);
    }

    /// <summary>Every option given a value other than its default reaches the field it names.</summary>
    [TestMethod]
    public void EveryOptionReachesTheRequest()
    {
        var request = TrainArguments.Build("--preset nanda2023 --quant binary --binary-scale absmean --quant-scope all --p 31 --d-model 64 " +
            "--n-heads 2 --d-head 16 --d-mlp 96 --n-layers 2 --epochs 700 --seed 5 --train-fraction 0.6 --lr 3e-3 --weight-decay 0.5 " +
            "--warmup 4 --log-every 10 --checkpoint-every 50 --threads 3 --stop-at-acc 0.99 --grokfast 0.9,1 --bimt 0.25 -o runs/y --resume --backend torchsharp");
        var c = request.Config;
        Assert.AreEqual(TransformerConfig.Nanda2023 with
        {
            Quantization = WeightQuantization.Binary,
            BinaryScale = BinaryScale.AbsMean,
            QuantScope = QuantScope.All,
            P = 31,
            DModel = 64,
            NHeads = 2,
            DHead = 16,
            DMlp = 96,
            NLayers = 2,
        }, c);
        var o = request.Options;
        Assert.AreEqual(new TrainingOptions
        {
            Epochs = 700,
            Seed = 5,
            TrainFraction = 0.6,
            LogEvery = 10,
            CheckpointEvery = 50,
            Threads = 3,
            StopAtAccuracy = 0.99,
            Grokfast = new GrokfastSettings(0.9, 1),
            Bimt = new BimtSettings(0.25),
            Optimizer = new AdamWSettings { LearningRate = 3e-3, WeightDecay = 0.5, WarmupSteps = 4 },
        }, o);
        Assert.AreEqual(("torchsharp", "runs/y", true, false), (request.Backend, request.OutputFolder, request.Resume, request.Force));
        Assert.IsTrue(TrainArguments.Build("--out x --force").Force);
        Assert.AreEqual(32, TrainArguments.Build("--d-model 64 --n-heads 2 --out x").Config.DHead, "without --d-head, d_model / n_heads");
    }

    /// <summary>A card's command line rebuilds a BIMT run, λ included.</summary>
    [TestMethod]
    public void TheShortestCommandLineKeepsBimt()
    {
        var request = TrainArguments.Build("--quant ternary --epochs 3000 --bimt 0.01 --out runs/b");
        var line = TrainCommandLine.For(request.Config, request.Options, "runs/b");
        Assert.AreEqual("bitonnx train --preset li2024 --quant ternary --epochs 3000 --bimt 0.01 --out runs/b", line);
    }

    /// <summary>The table is no stricter than Core: the smallest value each whole-number option allows builds a valid request.</summary>
    [TestMethod]
    [DataRow("--p 2")]
    [DataRow("--p 46000")]
    [DataRow("--d-model 1 --n-heads 1 --d-head 1 --d-mlp 1 --n-layers 1")]
    [DataRow("--epochs 1 --seed 0 --warmup 0 --log-every 1 --checkpoint-every 0 --threads 1")]
    [DataRow("--train-fraction 0.001 --lr 1e-12 --weight-decay 0 --stop-at-acc 1 --grokfast 0,1e-9 --bimt 1e-300")]
    public void TheTableAcceptsWhatCoreAccepts(string line)
    {
        var request = TrainArguments.Build(line + " --out x");
        Assert.AreEqual(0, request.Config.Problems().Count);
        Assert.AreEqual(0, request.Options.Problems().Count);
    }
}
