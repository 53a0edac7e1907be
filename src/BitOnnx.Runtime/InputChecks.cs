using System.Text;

namespace BitOnnx.Runtime;

/// <summary>
/// Checks a Run's names and tensors against the model before ORT sees them, so a mistake produces a message that
/// lists what the model expects instead of a native error (or worse, a read past a buffer).
/// </summary>
internal static class InputChecks
{
    public static int[] MatchInputs(
        NodeMetadata[] model, Dictionary<string, int> index, IReadOnlyCollection<string> names, OrtValue[] values)
    {
        if (names.Count != values.Length)
        {
            throw Invalid($"{names.Count} input names but {values.Length} input values were given.", model, "inputs");
        }

        var slots = new int[values.Length];
        var seen = new bool[model.Length];
        int i = 0;
        foreach (string name in names)
        {
            if (name is null || !index.TryGetValue(name, out int slot))
            {
                throw Invalid($"The model has no input '{name}'.", model, "inputs");
            }

            if (seen[slot]) throw Invalid($"Input '{name}' is given twice.", model, "inputs");
            seen[slot] = true;
            slots[i] = slot;
            CheckValue(model[slot], values[i], model);
            i++;
        }

        for (int s = 0; s < model.Length; s++)
        {
            if (!seen[s]) throw Invalid($"Input '{model[s].Name}' was not given.", model, "inputs");
        }

        return slots;
    }

    public static int[] MatchOutputs(NodeMetadata[] model, Dictionary<string, int> index, IReadOnlyCollection<string> names)
    {
        if (names.Count == 0) throw Invalid("No outputs were requested.", model, "outputs");
        var slots = new int[names.Count];
        int i = 0;
        foreach (string name in names)
        {
            if (name is null || !index.TryGetValue(name, out int slot))
            {
                throw Invalid($"The model has no output '{name}'.", model, "outputs");
            }

            slots[i++] = slot;
        }

        return slots;
    }

    private static void CheckValue(NodeMetadata expected, OrtValue? value, NodeMetadata[] model)
    {
        if (value is null) throw Invalid($"Input '{expected.Name}' is null.", model, "inputs");
        if (value.IsDisposed) throw Invalid($"Input '{expected.Name}' was already disposed.", model, "inputs");
        if (!expected.IsTensor) return;
        if (!value.IsTensor) throw Invalid($"Input '{expected.Name}' is a {value.OnnxType}; the model expects {expected}.", model, "inputs");

        var actual = value.TypeAndShape;
        long[] dims = expected.LongDimensions;
        bool typeMatches = actual.ElementDataType == expected.ElementDataType;
        bool rankMatches = actual.Shape.Length == dims.Length;
        int badDim = -1;
        if (rankMatches)
        {
            for (int d = 0; d < dims.Length && badDim < 0; d++)
            {
                if (dims[d] >= 0 && dims[d] != actual.Shape[d]) badDim = d;
            }
        }

        if (typeMatches && rankMatches && badDim < 0) return;
        string problem = !typeMatches ? "element type"
            : !rankMatches ? $"rank ({actual.Shape.Length} vs {dims.Length})"
            : $"dimension {badDim} ({actual.Shape[badDim]} vs {dims[badDim]})";
        throw Invalid($"Input '{expected.Name}' is {actual}; the model expects {expected} (the {problem} differs).", model, "inputs");
    }

    private static OnnxRuntimeException Invalid(string problem, NodeMetadata[] model, string kind)
    {
        var text = new StringBuilder(problem).Append(" Model ").Append(kind).Append(": ");
        text.AppendJoin("; ", model.Select(m => $"{m.Name}: {m}"));
        return new OnnxRuntimeException(ErrorCode.InvalidArgument, text.Append('.').ToString());
    }
}
