namespace BitOnnx.TestSupport;

/// <summary>
/// One bad value for every <c>bitonnx train</c> option (a flag's "value" is a stray word after it): the library's
/// option table and the command line are both tested against it, and each test fails when an option has none here.
/// </summary>
public static class TrainOptionBadValues
{
    public static IReadOnlyDictionary<string, string> All { get; } = new Dictionary<string, string>
    {
        ["--preset"] = "gpt2",
        ["--quant"] = "quaternary",
        ["--binary-scale"] = "absmax",
        ["--quant-scope"] = "everything",
        ["--p"] = "abc",
        ["--d-model"] = "0",
        ["--n-heads"] = "-2",
        ["--d-head"] = "1.5",
        ["--d-mlp"] = "many",
        ["--n-layers"] = "0",
        ["--epochs"] = "99999999999",
        ["--seed"] = "-1",
        ["--train-fraction"] = "1",
        ["--lr"] = "0",
        ["--weight-decay"] = "-0.5",
        ["--warmup"] = "-1",
        ["--log-every"] = "0",
        ["--checkpoint-every"] = "-10",
        ["--threads"] = "0",
        ["--stop-at-acc"] = "1.5",
        ["--grokfast"] = "0.98",
        ["--bimt"] = "zero",
        ["--out"] = "",
        ["--resume"] = "yes",
        ["--force"] = "please",
        ["--backend"] = "cuda",
    };
}
