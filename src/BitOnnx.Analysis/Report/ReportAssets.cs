using System.Reflection;

namespace BitOnnx.Analysis.Report;

/// <summary>The page's script and style, embedded in this assembly (plotly.js is fetched at build time, see build/Plotly.targets).</summary>
internal static class ReportAssets
{
    public static string Plotly => Read("plotly.min.js");

    public static string Script => Read("report.js");

    public static string Style => Read("report.css");

    private static string Read(string name)
    {
        string resource = "BitOnnx.Analysis.Report.Assets." + name;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The report asset '{resource}' is not embedded in BitOnnx.Analysis; rebuild the project.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
