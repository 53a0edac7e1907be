namespace BitOnnx.Cli.Tests;

/// <summary>Any command line System.CommandLine cannot parse, of any command: one `error:` line, exit code 2.</summary>
[TestClass]
public sealed class ParseErrorTests
{
    [TestMethod]
    [DataRow("'--pp' is not an option of bitonnx train (did you mean --p?); see `bitonnx train --help`.", "train", "--pp", "3", "--out", "x")]
    [DataRow("'trian' is not a command or argument of bitonnx (did you mean train?); see `bitonnx --help`.", "trian")]
    [DataRow("Required argument missing for option: '--p'; see `bitonnx train --help`.", "train", "--out", "x", "--p")]
    [DataRow("Required command was not provided; see `bitonnx --help`.")]
    [DataRow("Option '--output' is required; see `bitonnx export --help`.", "export", "model.safetensors")]
    [DataRow("Cannot parse argument 'abc' for option '--tolerance' as a number; see `bitonnx verify --help`.", "verify", "a.onnx", "b.safetensors", "--tolerance", "abc")]
    [DataRow("'extra' is not a command or argument of bitonnx predict; see `bitonnx predict --help`.", "predict", "m.onnx", "1", "2", "extra")]
    [DataRow("Argument 'bogus' not recognized. Must be one of: 'logit-diff', 'loss'; see `bitonnx patch --help`.", "patch", "m.onnx", "--metric", "bogus")]
    [DataRow("Argument 'bogus' not recognized. Must be one of: 'acdc', 'eap', 'eap-ig'; see `bitonnx circuit --help`.", "circuit", "m.onnx", "--method", "bogus")]
    public void ParseErrorsAreOneLineNamingTheTokenAndTheHelp(string message, params string[] args)
    {
        var r = CliProcess.Run(args);
        Assert.AreEqual(2, r.ExitCode, r.Error);
        Assert.AreEqual("error: " + message, r.Error.Trim());
        Assert.AreEqual("", r.Out, "no help dumped after the error");
    }

    [TestMethod]
    [DataRow("train")]
    [DataRow("export")]
    [DataRow("sweep")]
    public void HelpStillWorks(string command)
    {
        var r = CliProcess.Run(command, "--help");
        Assert.AreEqual(0, r.ExitCode, r.Error);
        StringAssert.Contains(r.Out, $"bitonnx {command} ");
        Assert.AreEqual("", r.Error);
    }
}
