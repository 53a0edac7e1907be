using BitOnnx.Core.Data;
using BitOnnx.Core.Model;

namespace BitOnnx.Engine.Tests.Circuits;

/// <summary>
/// A one-layer nanda2023 model (P = 3, d_model 16, 4 heads of 4, 9 neurons, full precision) whose weights are set by
/// hand so that it adds by a known circuit. Residual dimensions: E 0–2 (the number's one-hot), bias 3 (set by '='), pos
/// 4–6 (the position's one-hot), A 7–9, B 10–12, O 13–15.
/// <list type="bullet">
/// <item>Head 0 attends from the last position to position 0 only (its query reads pos 2, its key pos 0; the score of 200
/// leaves the others a weight that is 0 in float) and copies a's one-hot into A; head 1 does the same from position 1
/// into B. Their queries and keys read positions only, so no token reaches them.</item>
/// <item>Heads 2 and 3 read tokens and positions but their W_O is 0: dead.</item>
/// <item>Neuron 3a + b fires (0.5) on A[a] + B[b] − 1.5·bias and writes 2 to O[(a + b) mod 3]; the unembed reads O
/// (weight 4), so the model gives the right answer with probability 0.96.</item>
/// </list>
/// The circuit: embed[pos=0] → head0.v, embed[pos=1] → head1.v, head0 → mlp, head1 → mlp, mlp → logits. Every other
/// edge changes nothing, exactly: '=' and the positions are the same in every row, a head's weight on the other
/// positions is 0, a dead head writes 0, and what a head writes in A or B the unembed does not read.
/// </summary>
public static class PlantedCircuit
{
    private const int P = 3, Bias = 3, Pos = 4, A = 7, B = 10, O = 13;

    public static TransformerConfig Config { get; } = TransformerConfig.Nanda2023 with
    {
        P = P,
        DModel = 16,
        NHeads = 4,
        DHead = 4,
        DMlp = 9,
        Quantization = WeightQuantization.None,
    };

    public static string[] Edges { get; } =
    [
        "embed[pos=0] -> blocks.0.attn.head0.v",
        "embed[pos=1] -> blocks.0.attn.head1.v",
        "blocks.0.attn.head0 -> blocks.0.mlp",
        "blocks.0.attn.head1 -> blocks.0.mlp",
        "blocks.0.mlp -> logits",
    ];

    /// <summary>Every pair (a, b) as token rows [a, b, =].</summary>
    public static int[] Tokens => ModularAdditionData.Tokens(P, ModularAdditionData.AllRows(P));

    public static ParameterSet Parameters()
    {
        var c = Config;
        int d = c.DModel, e = c.DHead, m = c.DMlp;
        var w = ParameterSet.Zeros(c);
        Span<float> embed = w[ParameterNames.Embed], pos = w[ParameterNames.PosEmbed];
        for (var t = 0; t < P; t++) embed[t * d + t] = 1;
        embed[P * d + Bias] = 1;
        for (var p = 0; p < c.NCtx; p++) pos[p * d + Pos + p] = 1;

        Span<float> query = w[ParameterNames.Query(0)], key = w[ParameterNames.Key(0)], value = w[ParameterNames.Value(0)], output = w[ParameterNames.Output(0)];
        // W_Q, W_K, W_V [heads, d_model, d_head]; W_O [heads, d_head, d_model].
        for (var head = 0; head < c.NHeads; head++)
        {
            for (var t = 0; t < P; t++) value[(head * d + t) * e + t] = 1;
            query[(head * d + Pos + 2) * e] = 20;
            if (head < 2)
            {
                key[(head * d + Pos + head) * e] = 20;
                for (var j = 0; j < P; j++) output[(head * e + j) * d + (head == 0 ? A : B) + j] = 1;
            }
            else
            {
                // Dead heads attend by token and by position, and write nothing.
                for (var i = 0; i < d; i++) key[(head * d + i) * e + 1] = 0.3f * ((i * (head + 1)) % 5 - 2);
                query[(head * d + Bias) * e + 1] = 2;
            }
        }

        Span<float> mlpIn = w[ParameterNames.MlpIn(0)], mlpOut = w[ParameterNames.MlpOut(0)], unembed = w[ParameterNames.Unembed];
        for (var a = 0; a < P; a++)
            for (var b = 0; b < P; b++)
            {
                var neuron = a * P + b;
                mlpIn[(A + a) * m + neuron] = 1;
                mlpIn[(B + b) * m + neuron] = 1;
                mlpIn[Bias * m + neuron] = -1.5f;
                mlpOut[neuron * d + O + (a + b) % P] = 2;
            }
        for (var answer = 0; answer < P; answer++) unembed[(O + answer) * P + answer] = 4;
        return w;
    }
}
