using System.Globalization;
using System.Text.RegularExpressions;

namespace BitOnnx.Analysis.Inputs;

/// <summary>
/// The block whose attention and MLP an analysis reads. Li (2024) and Nanda et al. (2023) study one-layer models; a
/// deeper model is analysed one block at a time, the block chosen by the caller, never block 0 by default without a word.
/// </summary>
public static partial class AnalysedLayer
{
    /// <summary>Blocks named in <paramref name="names"/> (hook or parameter names, <c>blocks.N.…</c>): the largest N plus one, 0 when none.</summary>
    public static int CountBlocks(IEnumerable<string> names)
    {
        var count = 0;
        foreach (var name in names)
            if (BlockIndex().Match(name) is { Success: true } m)
                count = Math.Max(count, int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture) + 1);
        return count;
    }

    /// <summary>
    /// The block to analyse: <paramref name="asked"/> when given and present; the only block of a one-block model (or
    /// block 0 when the model names none); otherwise a <see cref="AnalysisInputException"/> asking for a choice.
    /// </summary>
    public static int Resolve(int? asked, int blocks, string modelName)
    {
        if (asked is { } layer)
        {
            if (layer < 0 || layer >= Math.Max(blocks, 1))
                throw new AnalysisInputException($"Model '{modelName}' has {Math.Max(blocks, 1)} block(s) (0..{Math.Max(blocks, 1) - 1}); --layer {layer} is not one of them.");
            return layer;
        }
        if (blocks > 1)
            throw new AnalysisInputException(
                $"Model '{modelName}' has {blocks} blocks; the Fourier, attention and neuron analyses read one at a time: choose it with --layer 0..{blocks - 1}.");
        return 0;
    }

    [GeneratedRegex(@"^blocks\.(\d+)\.")]
    private static partial Regex BlockIndex();
}
