using System.Diagnostics;
using BitOnnx.TestSupport;

namespace BitOnnx.Analysis.Tests;

/// <summary>Runs a headless Chromium on a local page, isolated from the network and from any user profile.</summary>
internal static class HeadlessChromium
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

    /// <summary>The browser to use: $BITONNX_CHROMIUM, else the first of the usual paths that exists; null if none.</summary>
    public static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("BITONNX_CHROMIUM");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(fromEnv)) return fromEnv;
        return Candidates.FirstOrDefault(File.Exists);
    }

    public static string SearchedPaths => string.Join(", ", Candidates) + " and $BITONNX_CHROMIUM";

    /// <summary>Runs the browser with <paramref name="mode"/> (e.g. --dump-dom) on the file; returns (stdout, stderr).</summary>
    public static (string Stdout, string Stderr) Run(string browser, string htmlPath, TimeSpan timeout, params string[] mode)
    {
        using var profile = new TempDir();
        var psi = new ProcessStartInfo(browser)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     $"--user-data-dir={profile.Path}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=60000",
                 })
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var arg in mode) psi.ArgumentList.Add(arg);
        psi.ArgumentList.Add(new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri);

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {browser}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{browser} did not finish within {timeout.TotalSeconds:0} s.");
        }
        process.WaitForExit();
        return (stdout.Result, stderr.Result);
    }
}
