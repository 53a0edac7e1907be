namespace BitOnnx.Core.Tasks;

/// <summary>The input tokens 0..Size−1 and their names, as a model card or a printed question shows them.</summary>
public sealed class TokenVocabulary
{
    private readonly string[] _names;
    private readonly Dictionary<string, int> _tokens;

    public TokenVocabulary(IEnumerable<string> names)
    {
        _names = names.ToArray();
        if (_names.Length == 0) throw new ArgumentException("A vocabulary needs at least one token.", nameof(names));
        _tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int t = 0; t < _names.Length; t++)
            if (!_tokens.TryAdd(_names[t], t)) throw new ArgumentException($"Token name '{_names[t]}' appears twice.", nameof(names));
    }

    /// <summary>d_vocab.</summary>
    public int Size => _names.Length;

    public IReadOnlyList<string> Names => _names;

    public string Name(int token) => _names[token];

    /// <summary>The token named <paramref name="name"/>, or −1 when there is none.</summary>
    public int Token(string name) => _tokens.GetValueOrDefault(name, -1);
}
