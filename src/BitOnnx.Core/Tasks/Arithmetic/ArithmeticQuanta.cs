namespace BitOnnx.Core.Tasks.Arithmetic;

/// <summary>
/// The quanta class of any arithmetic question, for tables of failures by class: S0–S5 for addition
/// (<see cref="AdditionQuanta"/>), M0–M4 and N1–N4 for subtraction (<see cref="SubtractionQuanta"/>).
/// </summary>
public static class ArithmeticQuanta
{
    public static string ClassName(ArithmeticQuestion question) => question.Operation == ArithmeticOperation.Addition
        ? AdditionQuanta.CascadeClassName(AdditionQuanta.CascadeClass(question))
        : SubtractionQuanta.CascadeClassName(question);

    /// <summary>Every class a task's questions can fall in, in table order.</summary>
    public static IReadOnlyList<string> ClassNames(ArithmeticMix mix)
    {
        var names = new List<string>();
        if (mix != ArithmeticMix.Subtraction)
            for (int k = 0; k <= AdditionQuanta.MaxCascadeClass; k++) names.Add(AdditionQuanta.CascadeClassName(k));
        if (mix != ArithmeticMix.Addition)
        {
            for (int k = 0; k <= SubtractionQuanta.MaxCascadeClass; k++) names.Add("M" + k);
            for (int k = 1; k <= SubtractionQuanta.MaxCascadeClass; k++) names.Add("N" + k);
        }
        return names;
    }
}
