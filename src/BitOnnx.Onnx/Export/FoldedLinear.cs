using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;

namespace BitOnnx.Onnx.Export;

/// <summary>
/// One quantizable linear after folding: the quantizer applied once, so the graph holds only what the forward pass
/// used. Values and Codes keep the TransformerLens layout of the parameter; Rows × Columns is the matrix x·W multiplies
/// by (W_Q/W_K/W_V [heads, dModel, dHead] act as [dModel, heads·dHead], W_O [heads, dHead, dModel] as [heads·dHead, dModel]).
/// </summary>
/// <param name="HeadsFirst">True for W_Q/W_K/W_V, whose heads axis must move inward to make the matrix.</param>
public sealed record FoldedLinear(string Name, Shape Shape, bool HeadsFirst, int Rows, int Columns, float[] Values, sbyte[]? Codes, float Scale)
{
    public static FoldedLinear From(TransformerConfig config, ParameterSet latent, string name)
    {
        var info = latent.Info(name);
        var weights = latent.Slice(info);
        var values = new float[weights.Length];
        WeightQuantizer.Quantize(weights, values, config.Quantization, config.BinaryScale);
        sbyte[]? codes = null;
        var scale = 1f;
        if (config.Quantization != WeightQuantization.None)
        {
            var floatCodes = new float[weights.Length];
            scale = WeightQuantizer.Codes(weights, floatCodes, config.Quantization, config.BinaryScale);
            codes = Array.ConvertAll(floatCodes, c => (sbyte)c);
        }
        var s = info.Shape;
        var headsFirst = s.Rank == 3 && !name.EndsWith(".W_O", StringComparison.Ordinal);
        var (rows, columns) = s.Rank == 2 ? (s[0], s[1]) : headsFirst ? (s[1], s[0] * s[2]) : (s[0] * s[1], s[2]);
        return new FoldedLinear(name, s, headsFirst, rows, columns, values, codes, scale);
    }

    /// <summary>The folded values as the [Rows, Columns] matrix, element (k, n) of x·W.</summary>
    public float ValueAt(int k, int n)
    {
        if (!HeadsFirst) return Values[k * Columns + n];
        int dHead = Shape[2], head = n / dHead, e = n % dHead;
        return Values[(head * Rows + k) * dHead + e];
    }

    /// <summary>x·W for a constant x [rows, Rows], summed in double: what the graph would compute on every call.</summary>
    public float[] Apply(float[] x, int rows)
    {
        var y = new float[rows * Columns];
        for (var r = 0; r < rows; r++)
            for (var n = 0; n < Columns; n++)
            {
                var sum = 0.0;
                for (var k = 0; k < Rows; k++) sum += (double)x[r * Rows + k] * ValueAt(k, n);
                y[r * Columns + n] = (float)sum;
            }
        return y;
    }

    /// <summary>Codes as the [Rows, Columns] matrix, element (k, n) of x·W.</summary>
    public int CodeAt(int k, int n)
    {
        if (Codes is null) throw new InvalidOperationException($"{Name} is full precision and has no codes.");
        if (!HeadsFirst) return Codes[k * Columns + n];
        int dHead = Shape[2], head = n / dHead, e = n % dHead;
        return Codes[(head * Rows + k) * dHead + e];
    }
}
