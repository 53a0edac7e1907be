using System.Globalization;

namespace BitOnnx.Core.Training;

/// <summary>
/// One BIMT swap, a row of RUN/bimt-swaps.csv: after epoch <paramref name="Epoch"/>, in block <paramref name="Block"/>,
/// the <paramref name="Kind"/> at place <paramref name="From"/> (one of the round's candidates) and the one at place
/// <paramref name="To"/> exchanged places, taking the locality cost (without λ) from <paramref name="CostBefore"/> to
/// <paramref name="CostAfter"/>. Replayed in order on <see cref="NeuronLayout.Identity"/>, the rows give the layout the
/// run's weights are laid out in.
/// </summary>
public sealed record NeuronSwap(int Epoch, int Block, NeuronKind Kind, int From, int To, double CostBefore, double CostAfter)
{
    /// <summary>The header of RUN/bimt-swaps.csv.</summary>
    public const string Header = "epoch,block,kind,from,to,cost_before,cost_after";

    public string ToCsv() =>
        string.Create(CultureInfo.InvariantCulture, $"{Epoch},{Block},{Name(Kind)},{From},{To},{CostBefore:R},{CostAfter:R}");

    /// <summary>Every row of a bimt-swaps.csv text, the header checked; <paramref name="path"/> names the file in errors.</summary>
    public static IReadOnlyList<NeuronSwap> ParseFile(string text, string path)
    {
        if (text.Length > 0 && text[^1] != '\n')
            throw new RunFolderException(path, $"{path} does not end with a newline: its last row was cut short. Resume the run to rewrite it.");
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0 || lines[0].Trim() != Header)
            throw new RunFolderException(path, $"{path} does not start with the header '{Header}'; it is not a bimt-swaps.csv written by bitonnx train.");
        var rows = new NeuronSwap[lines.Length - 1];
        for (var i = 1; i < lines.Length; i++)
        {
            var f = lines[i].Split(',');
            if (f.Length != 7)
                throw new RunFolderException(path, $"{path} line {i + 1}: {f.Length} fields, the header has 7.");
            var kind = f[2] == Name(NeuronKind.Head) ? NeuronKind.Head
                : f[2] == Name(NeuronKind.Neuron) ? NeuronKind.Neuron
                : throw new RunFolderException(path, $"{path} line {i + 1}: kind '{f[2]}' is neither head nor neuron.");
            rows[i - 1] = new NeuronSwap(Whole(f[0], path, i + 1), Whole(f[1], path, i + 1), kind, Whole(f[3], path, i + 1),
                Whole(f[4], path, i + 1), Number(f[5], path, i + 1), Number(f[6], path, i + 1));
        }
        return rows;
    }

    private static string Name(NeuronKind kind) => kind.ToString().ToLowerInvariant();

    private static int Whole(string s, string path, int line) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new RunFolderException(path, $"{path} line {line}: '{s}' is not a whole number.");

    private static double Number(string s, string path, int line) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new RunFolderException(path, $"{path} line {line}: '{s}' is not a finite number.");
}
