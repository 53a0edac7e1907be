using BitOnnx.Core;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Analysis.Tests.Arithmetic;

/// <summary>
/// A one-layer 2-digit adder whose hooks are planted by hand, so that every tool's answer can be worked out on paper.
/// At the position q that predicts answer digit Am (q = 8 − m for m = 0, 1, 2):
/// head 0 attends only to Dm, head 1 to D'm (75%) and '=' (25%); v is a token's digit value (0 for + and =), so
/// hook_z = (Dm, 0.75 D'm); mlp.hook_post is the carry into column m, read from the tokens; hook_resid_post =
/// (z0, z1 / 0.75, carry); the logit of digit u is −(u − (sum mod 10))², the sum that of the residual's three entries.
/// Position 5 ('=') always predicts '+'. Column 2 has no digits: both heads read '=' there. Writes apply where each hook
/// is computed (pattern, z, post, resid_post, logits), as the interface says.
/// </summary>
internal sealed class PlantedAdder : IHookedSequenceModel
{
    public static readonly ArithmeticTask Task = new(2, ArithmeticMix.Addition);
    public const int Length = 10, EqualsPosition = 5;

    public SequenceModelConfig Config { get; } = SequenceModelConfig.ForTask(Task) with { DModel = 3, NHeads = 2, DHead = 1, DMlp = 1, NLayers = 1 };

    /// <summary>The answer digit a position predicts, or null.</summary>
    public static int? Column(int q) => q is >= 6 and <= 8 ? 8 - q : null;

    /// <summary>Number of passes run, for tests that count them.</summary>
    public int Runs { get; private set; }

    public SequenceRun Run(int[] tokens, int rows, int length, IReadOnlyList<SequenceHookWrite> writes, IReadOnlyCollection<string> capture)
    {
        if (length != Length) throw new BitOnnxException("The planted adder reads whole sequences.");
        Runs++;
        string[] computed = [HookNames.Pattern(0), HookNames.Z(0), HookNames.MlpPost(0), HookNames.ResidPost(0), HookNames.Logits];
        foreach (var name in writes.Select(w => w.Hook).Concat(capture))
            if (!computed.Contains(name)) throw new BitOnnxException($"The planted adder has no hook '{name}'.");
        int t = Length, v = Config.DVocabOut;
        var pattern = new float[rows * 2 * t * t];
        var z = new float[rows * t * 2];
        var post = new float[rows * t];
        var resid = new float[rows * t * 3];
        var logits = new float[rows * t * v];
        for (int row = 0; row < rows; row++)
            for (int q = 0; q < t; q++)
            {
                int key0 = q < EqualsPosition ? 0 : EqualsPosition, key1 = key0;
                if (Column(q) is int m && m < 2) { key0 = 1 - m; key1 = 4 - m; }
                pattern[((row * 2 + 0) * t + q) * t + key0] = 1;
                pattern[((row * 2 + 1) * t + q) * t + key1] += key1 == EqualsPosition ? 1f : 0.75f;
                if (key1 != EqualsPosition) pattern[((row * 2 + 1) * t + q) * t + EqualsPosition] += 0.25f;
            }
        Apply(writes, HookNames.Pattern(0), pattern, rows);
        for (int row = 0; row < rows; row++)
            for (int q = 0; q < t; q++)
                for (int h = 0; h < 2; h++)
                {
                    float s = 0;
                    for (int k = 0; k <= q; k++)
                    {
                        int token = tokens[row * t + k];
                        s += pattern[((row * 2 + h) * t + q) * t + k] * (token < 10 ? token : 0);
                    }
                    z[(row * t + q) * 2 + h] = s;
                }
        Apply(writes, HookNames.Z(0), z, rows);
        for (int row = 0; row < rows; row++)
            for (int q = 0; q < t; q++)
                post[row * t + q] = Column(q) is int m ? Carry(tokens.AsSpan(row * t, t), m) : 0;
        Apply(writes, HookNames.MlpPost(0), post, rows);
        for (int row = 0; row < rows; row++)
            for (int q = 0; q < t; q++)
            {
                bool split = Column(q) is int m && m < 2;
                resid[(row * t + q) * 3 + 0] = z[(row * t + q) * 2];
                resid[(row * t + q) * 3 + 1] = z[(row * t + q) * 2 + 1] / (split ? 0.75f : 1f);
                resid[(row * t + q) * 3 + 2] = post[row * t + q];
            }
        Apply(writes, HookNames.ResidPost(0), resid, rows);
        for (int row = 0; row < rows; row++)
            for (int q = 0; q < t; q++)
            {
                var span = logits.AsSpan((row * t + q) * v, v);
                if (q == EqualsPosition) span[ArithmeticTokens.Plus] = 1;
                if (Column(q) is null) continue;
                double sum = resid[(row * t + q) * 3] + resid[(row * t + q) * 3 + 1] + resid[(row * t + q) * 3 + 2];
                double target = sum % 10;
                for (int u = 0; u < v; u++) span[u] = u < 10 ? (float)(-(u - target) * (u - target)) : -1000f;
            }
        Apply(writes, HookNames.Logits, logits, rows);
        var hooks = new Dictionary<string, float[]>
        {
            [HookNames.Pattern(0)] = pattern,
            [HookNames.Z(0)] = z,
            [HookNames.MlpPost(0)] = post,
            [HookNames.ResidPost(0)] = resid,
            [HookNames.Logits] = logits,
        };
        return new SequenceRun(logits, capture.ToDictionary(c => c, c => hooks[c]));
    }

    /// <summary>1 when columns below <paramref name="m"/> carry into it.</summary>
    public static float Carry(ReadOnlySpan<int> tokens, int m)
    {
        var q = ArithmeticQuestion.FromTokens(tokens, 2);
        long limit = m == 0 ? 1 : m == 1 ? 10 : 100;
        return q.X % limit + q.Y % limit >= limit ? 1 : 0;
    }

    private static void Apply(IReadOnlyList<SequenceHookWrite> writes, string hook, float[] values, int rows)
    {
        int size = values.Length / rows;
        foreach (var w in writes.Where(w => w.Hook == hook))
            for (int row = 0; row < rows; row++)
                for (int i = 0; i < size; i++)
                    if (w.Mask[i] != 0) values[row * size + i] = w.Values.Length == size ? w.Values[i] : w.Values[row * size + i];
    }
}
