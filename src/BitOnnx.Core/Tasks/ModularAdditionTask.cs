using BitOnnx.Core.Data;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Tasks;

/// <summary>
/// Modular addition as a task: [a, b, =] with the residue (a + b) mod P read at '='. It wraps
/// <see cref="ModularAdditionData"/> and changes nothing: the split, the tokens and the targets are that class's, so
/// training that goes through the task trains on the same bytes.
/// </summary>
public sealed class ModularAdditionTask : IFixedSetTask
{
    public const string TaskName = "modular-addition";

    public ModularAdditionTask(int p)
    {
        if (p < 2) throw new ConfigException($"p must be at least 2 (got {p}).");
        P = p;
        Vocabulary = new TokenVocabulary(Enumerable.Range(0, p).Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("="));
        Slots = [new PredictionSlot("answer", ModularAdditionData.SequenceLength - 1, null)];
    }

    /// <summary>The task of a config's modulus.</summary>
    public static ModularAdditionTask For(TransformerConfig config) => new(config.P);

    public int P { get; }
    public string Name => TaskName;
    public TokenVocabulary Vocabulary { get; }
    public int OutputVocabularySize => P;
    public int ContextLength => ModularAdditionData.SequenceLength;
    public IReadOnlyList<PredictionSlot> Slots { get; }

    /// <summary>The split as training uses it.</summary>
    public ModularAdditionData Data(long seed, double trainFraction) => ModularAdditionData.Split(P, trainFraction, seed);

    public TaskSplit Split(long seed, double trainFraction)
    {
        var data = Data(seed, trainFraction);
        return new TaskSplit(Rows(data.TrainRows), Rows(data.TestRows));
    }

    public LabelledBatch All() => Rows(ModularAdditionData.AllRows(P));

    /// <summary>The examples of pair rows a·P + b, in the order given.</summary>
    public LabelledBatch Rows(IReadOnlyList<int> rows) =>
        new(rows.Count, ContextLength, 1, ModularAdditionData.Tokens(P, rows), ModularAdditionData.Targets(P, rows));
}
