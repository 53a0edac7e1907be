namespace BitOnnx.Runtime;

/// <summary>A read-only list that owns its items; disposing it disposes them (Microsoft.ML.OnnxRuntime's shape).</summary>
public interface IDisposableReadOnlyCollection<out T> : IReadOnlyList<T>, IDisposable
{
}

internal sealed class DisposableList<T>(T[] items) : IDisposableReadOnlyCollection<T> where T : IDisposable
{
    private bool disposed;

    public int Count => items.Length;

    public T this[int index] => items[index];

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)items).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var item in items) item?.Dispose();
    }
}
