using System.Numerics.Tensors;
using BitOnnx.Analysis.Fourier;
using BitOnnx.Core.Explanations;

namespace BitOnnx.Analysis.Explanations;

/// <summary>
/// Least-squares fits of a P×P map [a·P + b] by functions of a few frequencies: g in the union of their degree-2 blocks
/// {1, cos f, sin f} ⊗ {1, cos f, sin f} (Nanda et al. 2023; two blocks share only the constant, so 1 + 8 coefficients
/// per frequency), either g itself (<see cref="Project"/>, the orthogonal projection) or max(g, 0) (<see cref="FitRelu"/>).
/// Every basis function is r_x(a)·r_y(b) with r a row of the Fourier basis, so the normal equations over any set of
/// pairs cost a few P² multiply-adds to build: Σ_(a,b) φ_j φ_k = Σ_a r_xj(a) r_xk(a) Σ_b [mask] r_yj(b) r_yk(b).
/// </summary>
internal sealed class FrequencyBlockFit
{
    private readonly int _p;
    private readonly int[] _frequencies;
    /// <summary>[r][x]: row 0 the constant, then each frequency's cosine and (where it has one) sine.</summary>
    private readonly double[][] _rows;
    /// <summary>Raw function = row / scale: what a coefficient multiplies once turned into 1, cos or sin.</summary>
    private readonly double[] _scale;
    /// <summary>[k] = (cos row, sin row or −1) of frequency k.</summary>
    private readonly (int Cos, int Sin)[] _rowsOf;
    /// <summary>The basis functions as (row of a, row of b).</summary>
    private readonly (int X, int Y)[] _pairs;

    public FrequencyBlockFit(FourierBasis basis, IReadOnlyList<int> frequencies)
    {
        _p = basis.P;
        _frequencies = frequencies.ToArray();
        var rows = new List<double[]> { Row(basis, 0) };
        var scale = new List<double> { 1 / Math.Sqrt(_p) };
        var pairs = new List<(int, int)> { (0, 0) };
        _rowsOf = new (int, int)[_frequencies.Length];
        for (var k = 0; k < _frequencies.Length; k++)
        {
            var basisRows = basis.RowsOf(_frequencies[k]);
            var mine = new List<int>();
            foreach (var r in basisRows)
            {
                rows.Add(Row(basis, r));
                // ‖cos‖² = ‖sin‖² = P/2, and P at the Nyquist frequency's cosine (−1)^x.
                scale.Add(basisRows.Length == 1 ? 1 / Math.Sqrt(_p) : Math.Sqrt(2.0 / _p));
                mine.Add(rows.Count - 1);
            }
            _rowsOf[k] = (mine[0], mine.Count > 1 ? mine[1] : -1);
            foreach (var r in mine) pairs.AddRange([(r, 0), (0, r)]);
            foreach (var x in mine)
                foreach (var y in mine) pairs.Add((x, y));
        }
        _rows = rows.ToArray();
        _scale = scale.ToArray();
        _pairs = pairs.ToArray();
    }

    /// <summary>The orthogonal projection of <paramref name="map"/>: its coefficients (the basis is orthonormal).</summary>
    public double[] Project(ReadOnlySpan<double> map) => Solve(map, null);

    /// <summary>g at every pair, from its coefficients.</summary>
    public double[] Evaluate(double[] theta)
    {
        int p = _p;
        // V_x(b) = Σ_{j: x_j = x} θ_j r_yj(b); g(a, ·) = Σ_x r_x(a) V_x.
        var v = new double[_rows.Length][];
        for (var j = 0; j < _pairs.Length; j++)
        {
            var (x, y) = _pairs[j];
            v[x] ??= new double[p];
            TensorPrimitives.MultiplyAdd(_rows[y], theta[j], v[x], v[x]);
        }
        var g = new double[p * p];
        for (var a = 0; a < p; a++)
        {
            var output = g.AsSpan(a * p, p);
            for (var x = 0; x < v.Length; x++)
                if (v[x] is { } vx) TensorPrimitives.MultiplyAdd(vx, _rows[x][a], output, output);
        }
        return g;
    }

    /// <summary>
    /// The coefficients of g for the fit max(g, 0) of a map that is never negative: the minimum of
    /// Σ_{map&gt;0} (g − map)² + Σ_{map=0} max(g, 0)², a convex piecewise quadratic that equals the squared error of
    /// max(g, 0) wherever g is on the map's side of zero, by semismooth Newton steps (each the least-squares fit over the
    /// live pairs and the dead pairs where g &gt; 0, halved until the objective falls), until a step gains less than
    /// <paramref name="tolerance"/> of it. Starts from the plain projection.
    /// </summary>
    public double[] FitRelu(ReadOnlySpan<double> map, int maxSteps = 50, double tolerance = 1e-7)
    {
        int n = map.Length;
        var theta = Project(map);
        var g = Evaluate(theta);
        var target = new double[n];
        var mask = new bool[n];
        var objective = Surrogate(map, g);
        for (var step = 0; step < maxSteps && objective > 0; step++)
        {
            var changed = false;
            for (var i = 0; i < n; i++)
            {
                var active = map[i] > 0 || g[i] > 0;
                changed |= active != mask[i];
                mask[i] = active;
                target[i] = map[i] > 0 ? map[i] : 0;
            }
            if (!changed && step > 0) break; // g already minimises the quadratic of its own piece.
            var newton = Solve(target, mask);
            var gNewton = Evaluate(newton);
            var trial = new double[n];
            double s = 1, value;
            while (true)
            {
                for (var i = 0; i < n; i++) trial[i] = g[i] + s * (gNewton[i] - g[i]);
                value = Surrogate(map, trial);
                if (value <= objective || s < 1e-6) break;
                s /= 2;
            }
            if (value > objective) break;
            for (var j = 0; j < theta.Length; j++) theta[j] += s * (newton[j] - theta[j]);
            g = trial;
            var gain = objective - value;
            objective = value;
            if (gain <= tolerance * objective) break;
        }
        return theta;
    }

    /// <summary>The coefficients as a formula: offset plus a term per frequency and axis (a, b, a + b, a − b).</summary>
    public FourierFormula Formula(double[] theta, bool relu)
    {
        var raw = new Dictionary<(int, int), double>();
        for (var j = 0; j < _pairs.Length; j++) raw[_pairs[j]] = theta[j] * _scale[_pairs[j].X] * _scale[_pairs[j].Y];
        double R(int x, int y) => x < 0 || y < 0 ? 0 : raw[(x, y)];
        var terms = new List<FourierTerm>();
        for (var k = 0; k < _frequencies.Length; k++)
        {
            var (c, s) = _rowsOf[k];
            var f = _frequencies[k];
            // cos a cos b = ½[cos(a+b) + cos(a−b)], sin a sin b = ½[cos(a−b) − cos(a+b)],
            // sin a cos b = ½[sin(a+b) + sin(a−b)], cos a sin b = ½[sin(a+b) − sin(a−b)].
            Add(terms, f, FourierAxis.A, R(c, 0), R(s, 0));
            Add(terms, f, FourierAxis.B, R(0, c), R(0, s));
            Add(terms, f, FourierAxis.Sum, 0.5 * (R(c, c) - R(s, s)), 0.5 * (R(s, c) + R(c, s)));
            Add(terms, f, FourierAxis.Difference, 0.5 * (R(c, c) + R(s, s)), 0.5 * (R(s, c) - R(c, s)));
        }
        return new FourierFormula(_p, R(0, 0), terms, relu);
    }

    /// <summary>Least squares of <paramref name="target"/> over the pairs in <paramref name="mask"/> (null: all).</summary>
    private double[] Solve(ReadOnlySpan<double> target, bool[]? mask)
    {
        int p = _p, d = _pairs.Length, rows = _rows.Length;
        var gram = new double[d * d];
        var rhs = new double[d];
        var weighted = new double[p];
        var products = new double[rows * rows][];
        for (var x = 0; x < rows; x++)
            for (var y = x; y < rows; y++) products[x * rows + y] = products[y * rows + x] = Multiply(_rows[x], _rows[y]);
        var m = new double[rows * rows];
        var t = new double[rows];
        var masked = new double[p];
        for (var a = 0; a < p; a++)
        {
            for (var b = 0; b < p; b++) weighted[b] = mask is null || mask[a * p + b] ? 1 : 0;
            TensorPrimitives.Multiply(target.Slice(a * p, p), weighted, masked);
            for (var x = 0; x < rows; x++)
                for (var y = x; y < rows; y++) m[x * rows + y] = m[y * rows + x] = TensorPrimitives.Dot<double>(weighted, products[x * rows + y]);
            for (var y = 0; y < rows; y++) t[y] = TensorPrimitives.Dot<double>(masked, _rows[y]);
            for (var j = 0; j < d; j++)
            {
                var (xj, yj) = _pairs[j];
                var rj = _rows[xj][a];
                rhs[j] += rj * t[yj];
                for (var k = j; k < d; k++)
                {
                    var (xk, yk) = _pairs[k];
                    gram[j * d + k] += rj * _rows[xk][a] * m[yj * rows + yk];
                }
            }
        }
        for (var j = 0; j < d; j++)
            for (var k = 0; k < j; k++) gram[j * d + k] = gram[k * d + j];
        return Cholesky(gram, rhs, d);
    }

    private static double[] Multiply(double[] x, double[] y)
    {
        var result = new double[x.Length];
        TensorPrimitives.Multiply<double>(x, y, result);
        return result;
    }

    /// <summary>Solves the symmetric system; a ridge of 1e-12 of its trace keeps a fit over few live pairs solvable.</summary>
    private static double[] Cholesky(double[] a, double[] rhs, int d)
    {
        var ridge = 0.0;
        for (var i = 0; i < d; i++) ridge += a[i * d + i];
        ridge = 1e-12 * ridge / d + 1e-300;
        var l = new double[d * d];
        for (var i = 0; i < d; i++)
            for (var j = 0; j <= i; j++)
            {
                var s = a[i * d + j] + (i == j ? ridge : 0);
                for (var k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
                l[i * d + j] = i == j ? Math.Sqrt(Math.Max(s, ridge)) : s / l[j * d + j];
            }
        var y = new double[d];
        for (var i = 0; i < d; i++)
        {
            var s = rhs[i];
            for (var k = 0; k < i; k++) s -= l[i * d + k] * y[k];
            y[i] = s / l[i * d + i];
        }
        var x = new double[d];
        for (var i = d - 1; i >= 0; i--)
        {
            var s = y[i];
            for (var k = i + 1; k < d; k++) s -= l[k * d + i] * x[k];
            x[i] = s / l[i * d + i];
        }
        return x;
    }

    /// <summary>Σ_{map&gt;0} (g − map)² + Σ_{map=0} max(g, 0)².</summary>
    private static double Surrogate(ReadOnlySpan<double> map, double[] g)
    {
        var sum = 0.0;
        for (var i = 0; i < map.Length; i++)
        {
            var d = map[i] > 0 ? g[i] - map[i] : Math.Max(g[i], 0);
            sum += d * d;
        }
        return sum;
    }

    private static void Add(List<FourierTerm> terms, int f, FourierAxis axis, double cos, double sin)
    {
        var amplitude = Math.Sqrt(cos * cos + sin * sin);
        if (amplitude == 0) return;
        terms.Add(new FourierTerm(f, axis, amplitude, Math.Atan2(sin, cos)));
    }

    private static double[] Row(FourierBasis basis, int r) => basis.Matrix.Slice(r * basis.P, basis.P).ToArray();
}
