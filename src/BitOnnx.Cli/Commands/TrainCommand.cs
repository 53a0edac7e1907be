using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx train</c>: one model, docs/recipe.md's recipe by default, written to a run folder.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "Model preset: li2024 (RMSNorm, no positions, no mask) or nanda2023 (learned positions, causal).", DefaultValueFactory = _ => "li2024" };
        preset.AcceptOnlyFromAmong(TransformerConfig.PresetNames.ToArray());
        var quant = new Option<string>("--quant") { Description = "Weights of W_Q, W_K, W_V, W_O, W_in, W_out: none, binary or ternary.", DefaultValueFactory = _ => "none" };
        quant.AcceptOnlyFromAmong("none", "binary", "ternary");
        var binaryScale = new Option<string>("--binary-scale") { Description = "Binary weight scale: none (Li 2024) or absmean (BitNet's β = mean|W|).", DefaultValueFactory = _ => "none" };
        binaryScale.AcceptOnlyFromAmong("none", "absmean");
        var quantScope = new Option<string>("--quant-scope") { Description = "What --quant quantizes: linears (the six linears, Li 2024) or all (also embed.W_E and unembed.W_U).", DefaultValueFactory = _ => "linears" };
        quantScope.AcceptOnlyFromAmong("linears", "all");
        var p = new Option<int?>("--p") { Description = "The modulus P (default 113)." };
        var dModel = new Option<int?>("--d-model") { Description = "Residual stream width (default 128)." };
        var nHeads = new Option<int?>("--n-heads") { Description = "Attention heads (default 4)." };
        var dHead = new Option<int?>("--d-head") { Description = "Width of one head (default d_model / n_heads)." };
        var dMlp = new Option<int?>("--d-mlp") { Description = "MLP hidden width (default 512)." };
        var nLayers = new Option<int?>("--n-layers") { Description = "Transformer blocks (default 1)." };
        var epochs = new Option<int>("--epochs") { Description = "Full-batch training steps.", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<long>("--seed") { Description = "Seed of the initial weights and of the train/test split.", DefaultValueFactory = _ => 0 };
        var trainFraction = new Option<double>("--train-fraction") { Description = "Share of the P*P pairs used for training.", DefaultValueFactory = _ => 0.3 };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => 1e-3 };
        var weightDecay = new Option<double>("--weight-decay") { Description = "AdamW decoupled weight decay (0 disables grokking).", DefaultValueFactory = _ => 1.0 };
        var warmup = new Option<int?>("--warmup") { Description = "Steps of linear learning-rate warm-up (default 10 for nanda2023, 0 for li2024)." };
        var logEvery = new Option<int>("--log-every") { Description = "Write train/test loss and test accuracy to metrics.csv every N epochs (1 = every epoch).", DefaultValueFactory = _ => 100 };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Keep checkpoints/epoch-N.safetensors every N epochs, for progress measures (0 = none).", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "Worker threads; results are bit-identical for any count.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string>("--out", "-o") { Description = "Run folder to write (model.safetensors, metrics.csv, config.json, split.json).", Required = true };
        var stopAtAcc = new Option<double?>("--stop-at-acc") { Description = "Stop once a logged test accuracy reaches this fraction (e.g. 0.99); checked every --log-every epochs. A run that stopped so stays stopped on --resume; resume without it (or with a higher one) to go on." };
        var grokfast = new Option<string?>("--grokfast") { Description = "Grokfast gradient filter ALPHA,LAMBDA (Lee et al. 2024; the paper uses 0.98,2). Off by default." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last saved epoch (same settings)." };
        var backend = new Option<string>("--backend") { Description = TrainingBackends.Description, DefaultValueFactory = _ => TrainingBackends.Default };
        backend.AcceptOnlyFromAmong(TrainingBackends.Names.ToArray());

        var command = new Command("train", "Train one model on modular addition and write a run folder.")
        {
            preset, quant, binaryScale, quantScope, p, dModel, nHeads, dHead, dMlp, nLayers, epochs, seed, trainFraction, lr, weightDecay,
            warmup, logEvery, checkpointEvery, threads, stopAtAcc, grokfast, output, resume, backend,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var config = TransformerConfig.FromPreset(r.GetValue(preset)!) with
            {
                Quantization = Enum.Parse<WeightQuantization>(r.GetValue(quant)!, ignoreCase: true),
                BinaryScale = r.GetValue(binaryScale) == "absmean" ? BinaryScale.AbsMean : BinaryScale.None,
                QuantScope = r.GetValue(quantScope) == "all" ? QuantScope.All : QuantScope.Linears,
            };
            config = config with
            {
                P = r.GetValue(p) ?? config.P,
                DModel = r.GetValue(dModel) ?? config.DModel,
                NHeads = r.GetValue(nHeads) ?? config.NHeads,
                DMlp = r.GetValue(dMlp) ?? config.DMlp,
                NLayers = r.GetValue(nLayers) ?? config.NLayers,
            };
            config = r.GetValue(dHead) is { } head ? config with { DHead = head } : config.WithHeadsSplittingModel();
            var options = new TrainingOptions
            {
                Epochs = r.GetValue(epochs),
                Seed = r.GetValue(seed),
                TrainFraction = r.GetValue(trainFraction),
                LogEvery = r.GetValue(logEvery),
                CheckpointEvery = r.GetValue(checkpointEvery),
                Threads = r.GetValue(threads),
                StopAtAccuracy = r.GetValue(stopAtAcc),
                Grokfast = r.GetValue(grokfast) is { } filter ? GrokfastSettings.Parse(filter) : null,
                Optimizer = new AdamWSettings
                {
                    LearningRate = r.GetValue(lr),
                    WeightDecay = r.GetValue(weightDecay),
                    WarmupSteps = r.GetValue(warmup) ?? AdamWSettings.Recipe(config.Preset).WarmupSteps,
                },
            };
            // The TorchSharp model keeps W_E and W_U float; training it with scope all would silently be scope linears.
            if (config.QuantScope == QuantScope.All && r.GetValue(backend) != EngineBackend.Instance.Name)
                throw new ConfigException($"--quant-scope all is trained by the engine backend only; use --backend {EngineBackend.Instance.Name}.");
            // Resolved before the trainer writes anything, so a backend that cannot load leaves no files behind.
            var trainingBackend = TrainingBackends.Resolve(r.GetValue(backend)!);
            var result = TrainRun.Execute(config, options, r.GetValue(output)!, r.GetValue(resume), backend: trainingBackend);
            return result.Interrupted ? CliRunner.ExitInterrupted : 0;
        }));
        return command;
    }
}
