using System.Globalization;
using System.Net;
using System.Text;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>
/// A <see cref="QuantaMap"/> as plain SVG: a title, the positions across (P14 over its name, A5), the components down,
/// and each useful node's cell filled from white to the map's colour by its shade, its tag written in it. The same
/// bytes for the same map.
/// </summary>
public static class QuantaMapSvg
{
    private const double CellWidth = 64, CellHeight = 26, LabelWidth = 64, HeaderHeight = 40, TitleHeight = 30, Margin = 12;

    public static string Svg(QuantaMap map, string? model = null)
    {
        int columns = Math.Max(1, map.Positions.Count), rows = map.Components.Count;
        var title = model is null ? map.Title : $"{map.Title}: {model}";
        // Wide enough for the title too, at about 7 px a character of 13 px bold Helvetica.
        double width = Math.Max(2 * Margin + LabelWidth + columns * CellWidth, 2 * Margin + 7 * title.Length);
        double height = 2 * Margin + TitleHeight + HeaderHeight + rows * CellHeight;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" ")
            .Append("font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{N(width)}\" height=\"{N(height)}\" fill=\"#ffffff\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Margin)}\" y=\"{N(Margin + 14)}\" font-size=\"13\" font-weight=\"bold\" fill=\"#1f2430\">{X(title)}</text>\n");
        double top = Margin + TitleHeight, left = Margin + LabelWidth;
        for (int j = 0; j < map.Positions.Count; j++)
        {
            double cx = left + (j + 0.5) * CellWidth;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(cx)}\" y=\"{N(top + 14)}\" text-anchor=\"middle\" fill=\"#1f2430\">P{map.Positions[j]}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(cx)}\" y=\"{N(top + 30)}\" text-anchor=\"middle\" fill=\"#5b6770\">{X(map.PositionNames[j])}</text>\n");
        }
        var (r, g, b) = Colour(map.Kind);
        for (int i = 0; i < rows; i++)
        {
            double y = top + HeaderHeight + i * CellHeight;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Margin)}\" y=\"{N(y + 17)}\" fill=\"#1f2430\">{X(map.Components[i])}</text>\n");
            for (int j = 0; j < map.Positions.Count; j++)
            {
                double x = left + j * CellWidth;
                var cell = map.Cells[i][j];
                string fill = cell is null ? "#f7f8fa" : Mix(r, g, b, 0.15 + 0.85 * Math.Clamp(cell.Shade, 0, 1));
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"cell\" x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(CellWidth)}\" height=\"{N(CellHeight)}\" fill=\"{fill}\" stroke=\"#d5dae0\"/>\n");
                if (cell is null) continue;
                string ink = cell.Shade > 0.55 ? "#ffffff" : "#1f2430";
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + CellWidth / 2)}\" y=\"{N(y + 17)}\" text-anchor=\"middle\" fill=\"{ink}\">{X(cell.Text)}</text>\n");
            }
        }
        return svg.Append("</svg>\n").ToString();
    }

    private static (int R, int G, int B) Colour(string kind) => kind switch
    {
        "fail" => (208, 84, 63),
        "impact" => (47, 109, 181),
        "classes" => (93, 58, 155),
        _ => (32, 133, 98),
    };

    /// <summary>White blended towards (r, g, b) by <paramref name="amount"/>.</summary>
    private static string Mix(int r, int g, int b, double amount)
    {
        int C(int c) => (int)Math.Round(255 + (c - 255) * amount);
        return string.Create(CultureInfo.InvariantCulture, $"#{C(r):x2}{C(g):x2}{C(b):x2}");
    }

    internal static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    internal static string X(string text) => WebUtility.HtmlEncode(text);
}
