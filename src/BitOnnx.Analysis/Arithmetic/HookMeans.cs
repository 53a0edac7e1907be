using BitOnnx.Core.Tasks;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>
/// The mean of hooks over a question set, one row each (accumulated in double), as their a_calc_mean_values keeps
/// mean_resid_post, mean_attn_z and mean_mlp_hook_post for mean ablation.
/// </summary>
public static class HookMeans
{
    public static IReadOnlyDictionary<string, float[]> Of(IHookedSequenceModel model, ArithmeticQuestionSet set, IReadOnlyCollection<string> hooks)
    {
        var run = model.Run(set.Tokens, set.Count, set.Length, [], hooks);
        var means = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var hook in hooks)
        {
            var values = run.Hooks[hook];
            int size = values.Length / set.Count;
            var sum = new double[size];
            for (int row = 0; row < set.Count; row++)
                for (int i = 0; i < size; i++) sum[i] += values[row * size + i];
            means[hook] = Array.ConvertAll(sum, s => (float)(s / set.Count));
        }
        return means;
    }

    /// <summary>The write that puts <paramref name="mean"/> where <paramref name="mask"/> is 1, in every row.</summary>
    public static SequenceHookWrite Ablate(string hook, float[] mask, float[] mean) => new(hook, mask, mean);

    /// <summary>A mask over one row of a [length, width] hook that selects position <paramref name="position"/>.</summary>
    public static float[] PositionMask(int length, int width, int position)
    {
        var mask = new float[length * width];
        Array.Fill(mask, 1f, position * width, width);
        return mask;
    }
}
