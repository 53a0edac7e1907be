using System.Globalization;
using System.Text;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>
/// A <see cref="HeadPcaResult"/> as a plain SVG scatter: every question at its first two principal coordinates,
/// coloured by its label (their ST8 red, ST9 green, ST10 blue), with the title and each axis' explained variance.
/// </summary>
public static class PcaSvg
{
    private const double Size = 300, Margin = 40, TitleHeight = 24, LegendWidth = 70;
    private static readonly Dictionary<string, string> Colours = new() { ["ST8"] = "#d0312d", ["ST9"] = "#2e9e44", ["ST10"] = "#2f6db5" };

    public static string Svg(HeadPcaResult pca)
    {
        double width = Size + 2 * Margin + LegendWidth, height = Size + 2 * Margin + TitleHeight;
        var xs = pca.Points.Select(p => p.X).ToArray();
        var ys = pca.Points.Select(p => p.Y).ToArray();
        double xMin = xs.Min(), xMax = xs.Max(), yMin = ys.Min(), yMax = ys.Max();
        double Sx(double x) => Margin + (xMax > xMin ? (x - xMin) / (xMax - xMin) : 0.5) * Size;
        double Sy(double y) => TitleHeight + Margin + (yMax > yMin ? (yMax - y) / (yMax - yMin) : 0.5) * Size;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{QuantaMapSvg.N(width)}\" height=\"{QuantaMapSvg.N(height)}\" viewBox=\"0 0 {QuantaMapSvg.N(width)} {QuantaMapSvg.N(height)}\" ")
            .Append("font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{QuantaMapSvg.N(width)}\" height=\"{QuantaMapSvg.N(height)}\" fill=\"#ffffff\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{QuantaMapSvg.N(Margin)}\" y=\"18\" font-size=\"13\" font-weight=\"bold\" fill=\"#1f2430\">{QuantaMapSvg.X(pca.Title)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{QuantaMapSvg.N(Margin)}\" y=\"{QuantaMapSvg.N(TitleHeight + Margin)}\" width=\"{QuantaMapSvg.N(Size)}\" height=\"{QuantaMapSvg.N(Size)}\" fill=\"none\" stroke=\"#d5dae0\"/>\n");
        foreach (var (x, y, label) in pca.Points)
            svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"point\" data-label=\"{QuantaMapSvg.X(label)}\" cx=\"{QuantaMapSvg.N(Sx(x))}\" cy=\"{QuantaMapSvg.N(Sy(y))}\" r=\"3\" fill=\"{Colours.GetValueOrDefault(label, "#5b6770")}\" fill-opacity=\"0.75\"/>\n");
        double r0 = pca.ExplainedVarianceRatio.Count > 0 ? pca.ExplainedVarianceRatio[0] : 0, r1 = pca.ExplainedVarianceRatio.Count > 1 ? pca.ExplainedVarianceRatio[1] : 0;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{QuantaMapSvg.N(Margin + Size / 2)}\" y=\"{QuantaMapSvg.N(height - 12)}\" text-anchor=\"middle\" fill=\"#5b6770\">PC1 ({r0:P0} of the variance)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{QuantaMapSvg.N(TitleHeight + Margin + Size / 2)}\" text-anchor=\"middle\" fill=\"#5b6770\" transform=\"rotate(-90 14 {QuantaMapSvg.N(TitleHeight + Margin + Size / 2)})\">PC2 ({r1:P0})</text>\n");
        int row = 0;
        foreach (var label in pca.Points.Select(p => p.Label).Distinct())
        {
            double y = TitleHeight + Margin + 12 + 18 * row++;
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{QuantaMapSvg.N(Margin + Size + 16)}\" cy=\"{QuantaMapSvg.N(y - 4)}\" r=\"4\" fill=\"{Colours.GetValueOrDefault(label, "#5b6770")}\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{QuantaMapSvg.N(Margin + Size + 26)}\" y=\"{QuantaMapSvg.N(y)}\" fill=\"#1f2430\">{QuantaMapSvg.X(label)}</text>\n");
        }
        return svg.Append("</svg>\n").ToString();
    }
}
