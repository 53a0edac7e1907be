namespace BitOnnx.Analysis.Fourier;

/// <summary>
/// The real Fourier basis over 0..P−1 as a P×P orthonormal matrix F (row r is a basis function of x):
/// row 0 is the constant, then for f = 1..⌊(P−1)/2⌋ row 2f−1 is cos(2πfx/P) and row 2f is sin(2πfx/P), each
/// L2-normalised. That is exactly P rows for odd P (Nanda et al. 2023 use it for P = 113; Li's notebook builds
/// 115 rows there, repeating f = 56, which breaks orthonormality; we do not).
/// Even P: the Nyquist frequency f = P/2 has only a cosine, cos(πx) = (−1)^x (its sine is identically zero), so it
/// takes the last row, P−1, and is the only frequency with a single row. Still exactly P rows, still orthonormal.
/// </summary>
public sealed class FourierBasis
{
    private readonly double[] _rows;

    /// <summary>Builds the basis for modulus <paramref name="p"/> (P ≥ 2).</summary>
    public FourierBasis(int p)
    {
        if (p < 2) throw new ArgumentOutOfRangeException(nameof(p), p, "P must be at least 2.");
        P = p;
        _rows = new double[p * p];
        for (int r = 0; r < p; r++)
        {
            var (kind, f) = Describe(r);
            double norm = 0;
            for (int x = 0; x < p; x++)
            {
                double angle = 2 * Math.PI * f * x / p;
                double v = kind switch
                {
                    BasisKind.Constant => 1,
                    BasisKind.Cos => Math.Cos(angle),
                    _ => Math.Sin(angle),
                };
                _rows[r * p + x] = v;
                norm += v * v;
            }
            norm = Math.Sqrt(norm);
            for (int x = 0; x < p; x++) _rows[r * p + x] /= norm;
        }
    }

    /// <summary>The modulus.</summary>
    public int P { get; }

    /// <summary>Number of non-constant frequencies: (P−1)/2 for odd P, P/2 (with the Nyquist) for even P.</summary>
    public int FrequencyCount => P / 2;

    /// <summary>F as a row-major P×P matrix; row r is basis function r over x = 0..P−1.</summary>
    public ReadOnlySpan<double> Matrix => _rows;

    /// <summary>F[r, x].</summary>
    public double this[int r, int x] => _rows[r * P + x];

    /// <summary>Whether row <paramref name="r"/> is the constant, a cosine or a sine, and its frequency.</summary>
    public (BasisKind Kind, int Frequency) Describe(int r)
    {
        if (r < 0 || r >= P) throw new ArgumentOutOfRangeException(nameof(r), r, $"Row must be in 0..{P - 1}.");
        if (r == 0) return (BasisKind.Constant, 0);
        if (P % 2 == 0 && r == P - 1) return (BasisKind.Cos, P / 2);
        return r % 2 == 1 ? (BasisKind.Cos, (r + 1) / 2) : (BasisKind.Sin, r / 2);
    }

    /// <summary>Rows holding frequency <paramref name="f"/> (1..FrequencyCount): cos and sin, or only cos at Nyquist.</summary>
    public int[] RowsOf(int f)
    {
        if (f < 1 || f > FrequencyCount)
            throw new ArgumentOutOfRangeException(nameof(f), f, $"Frequency must be in 1..{FrequencyCount}.");
        if (P % 2 == 0 && f == P / 2) return [P - 1];
        return [2 * f - 1, 2 * f];
    }

    /// <summary>A short label for row r: "const", "cos 14", "sin 14".</summary>
    public string RowName(int r)
    {
        var (kind, f) = Describe(r);
        return kind switch
        {
            BasisKind.Constant => "const",
            BasisKind.Cos => $"cos {f}",
            _ => $"sin {f}",
        };
    }

    /// <summary>All row labels.</summary>
    public string[] RowNames() => Enumerable.Range(0, P).Select(RowName).ToArray();
}

/// <summary>What a Fourier basis row is.</summary>
public enum BasisKind
{
    /// <summary>The constant row.</summary>
    Constant,

    /// <summary>A cosine row.</summary>
    Cos,

    /// <summary>A sine row.</summary>
    Sin,
}
