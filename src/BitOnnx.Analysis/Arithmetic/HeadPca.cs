using BitOnnx.Core.Tasks;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>
/// The principal components of one head's hook_z at its position over a question set: the explained variance ratio of
/// each component (largest first) and every question's coordinates on the first two, with the question's label.
/// </summary>
public sealed record HeadPcaResult(QuantaNode Node, string Title, IReadOnlyList<double> ExplainedVarianceRatio, IReadOnlyList<(double X, double Y, string Label)> Points);

/// <summary>
/// Quirke et al.'s PCA of a head over tri-case questions (calc_pca_for_an): the head's output for each question at the
/// node's position, centred, and its covariance's eigenvectors. Their code reads the head's result (hook_z times its
/// W_O slice, in d_model); the hooked pass gives hook_z, which that fixed linear map takes to the result, so the
/// clusters are the same ones seen through W_O and the variance shares can differ.
/// </summary>
public static class HeadPca
{
    public static HeadPcaResult Compute(IHookedSequenceModel model, ArithmeticQuestionSet set, QuantaNode node, IReadOnlyList<string> labels, string title)
    {
        if (!node.IsHead) throw new AnalysisInputException($"{node.Name} is an MLP; the PCA reads one head's hook_z, so give a head node.");
        var c = model.Config;
        var z = model.Run(set.Tokens, set.Count, set.Length, [], [node.Hook]).Hooks[node.Hook];
        int e = c.DHead, rowSize = set.Length * c.NHeads * e, offset = (node.Position * c.NHeads + node.Head!.Value) * e;
        var data = new double[set.Count, e];
        for (int row = 0; row < set.Count; row++)
            for (int a = 0; a < e; a++) data[row, a] = z[row * rowSize + offset + a];
        var (ratios, projected) = Pca(data, components: 2);
        var points = Enumerable.Range(0, set.Count).Select(r => (projected[r, 0], projected[r, 1], labels[r])).ToArray();
        return new HeadPcaResult(node, title, ratios, points);
    }

    /// <summary>
    /// The explained variance ratios of every component of <paramref name="data"/> [n, d] (largest first) and the centred
    /// rows projected on the first <paramref name="components"/>, each component's sign fixed so that its largest entry
    /// is positive.
    /// </summary>
    public static (double[] Ratios, double[,] Projected) Pca(double[,] data, int components)
    {
        int n = data.GetLength(0), d = data.GetLength(1);
        var centred = new double[n, d];
        for (int j = 0; j < d; j++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += data[i, j];
            mean /= n;
            for (int i = 0; i < n; i++) centred[i, j] = data[i, j] - mean;
        }
        var covariance = new double[d, d];
        for (int a = 0; a < d; a++)
            for (int b = a; b < d; b++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += centred[i, a] * centred[i, b];
                covariance[a, b] = covariance[b, a] = s / Math.Max(1, n - 1);
            }
        var (values, vectors) = SymmetricEigen.Decompose(covariance);
        double total = values.Sum(v => Math.Max(0, v));
        var ratios = values.Select(v => total > 0 ? Math.Max(0, v) / total : 0).ToArray();
        var projected = new double[n, components];
        for (int k = 0; k < Math.Min(components, d); k++)
        {
            int largest = 0;
            for (int a = 1; a < d; a++) if (Math.Abs(vectors[a, k]) > Math.Abs(vectors[largest, k])) largest = a;
            double sign = vectors[largest, k] < 0 ? -1 : 1;
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int a = 0; a < d; a++) s += centred[i, a] * vectors[a, k];
                projected[i, k] = sign * s;
            }
        }
        return (ratios, projected);
    }
}

/// <summary>Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations (Golub and Van Loan, §8.5).</summary>
public static class SymmetricEigen
{
    /// <summary>Eigenvalues in descending order and the eigenvectors as the matching columns of a [d, d] matrix.</summary>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] symmetric)
    {
        int d = symmetric.GetLength(0);
        var a = (double[,])symmetric.Clone();
        var v = new double[d, d];
        for (int i = 0; i < d; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, scale = 0;
            for (int p = 0; p < d; p++)
                for (int q = 0; q < d; q++)
                {
                    if (p != q) off += a[p, q] * a[p, q];
                    scale += a[p, q] * a[p, q];
                }
            if (off <= 1e-30 * Math.Max(scale, 1e-300)) break;
            for (int p = 0; p < d - 1; p++)
                for (int q = p + 1; q < d; q++)
                {
                    if (a[p, q] == 0) continue;
                    // The rotation that zeroes a[p, q]: t = tan θ, the smaller root of t² + 2τt − 1 = 0.
                    double tau = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(tau == 0 ? 1 : tau) / (Math.Abs(tau) + Math.Sqrt(1 + tau * tau));
                    double cos = 1 / Math.Sqrt(1 + t * t), sin = t * cos;
                    for (int k = 0; k < d; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = cos * akp - sin * akq;
                        a[k, q] = sin * akp + cos * akq;
                    }
                    for (int k = 0; k < d; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = cos * apk - sin * aqk;
                        a[q, k] = sin * apk + cos * aqk;
                    }
                    for (int k = 0; k < d; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = cos * vkp - sin * vkq;
                        v[k, q] = sin * vkp + cos * vkq;
                    }
                }
        }
        var order = Enumerable.Range(0, d).OrderByDescending(i => a[i, i]).ToArray();
        var values = order.Select(i => a[i, i]).ToArray();
        var vectors = new double[d, d];
        for (int k = 0; k < d; k++)
            for (int i = 0; i < d; i++) vectors[i, k] = v[i, order[k]];
        return (values, vectors);
    }
}
