using Mono.Cecil;

namespace BitOnnx.Torch.Tests;

/// <summary>
/// Reads IL to find the places where code makes a TorchSharp Scalar that nothing disposes: an implicit conversion
/// (Scalar.op_Implicit) in the code itself, or a call into TorchSharp whose body makes one, directly or through further
/// TorchSharp calls (a virtual call counts every TorchSharp override). See ScalarArithmetic for why those are unsafe.
/// </summary>
internal sealed class UnownedScalarScan : IDisposable
{
    private readonly AssemblyDefinition _torchSharp;
    private readonly Dictionary<string, string?> _paths = [];
    private readonly ILookup<string, MethodDefinition> _virtualsByName;

    public UnownedScalarScan()
    {
        _torchSharp = AssemblyDefinition.ReadAssembly(Path.Combine(AppContext.BaseDirectory, "TorchSharp.dll"));
        _virtualsByName = _torchSharp.MainModule.GetTypes().SelectMany(t => t.Methods).Where(m => m.IsVirtual).ToLookup(m => m.Name);
    }

    /// <summary>TorchSharp's type of that full name (nested types as "TorchSharp.torch/Tensor").</summary>
    public TypeDefinition TorchSharpType(string fullName) => _torchSharp.MainModule.GetTypes().Single(t => t.FullName == fullName);

    /// <summary>"Type.Method: how" for each method of <paramref name="assembly"/> that makes an unowned Scalar.</summary>
    public IReadOnlyList<string> Findings(AssemblyDefinition assembly)
    {
        var findings = new List<string>();
        foreach (var method in assembly.MainModule.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody))
            foreach (var callee in Callees(method))
            {
                var path = IsImplicitScalar(callee) ? "an implicit Scalar" : Resolve(callee) is { } target ? PathToScalar(target) : null;
                if (path is not null) findings.Add($"{method.DeclaringType.Name}.{method.Name}: {path}");
            }
        return findings.Distinct().ToList();
    }

    /// <summary>How <paramref name="method"/> (a TorchSharp method) reaches an implicit Scalar, or null if it does not.</summary>
    public string? PathToScalar(MethodDefinition method)
    {
        var key = method.FullName;
        if (_paths.TryGetValue(key, out var known)) return known; // also ends recursion: a cycle adds nothing
        _paths[key] = null;
        var name = $"{method.DeclaringType.Name}.{method.Name}";
        string? Find()
        {
            foreach (var target in Implementations(method))
                foreach (var callee in Callees(target))
                {
                    if (IsImplicitScalar(callee)) return $"{name} makes an implicit Scalar";
                    if (Resolve(callee) is { } next && PathToScalar(next) is { } rest) return $"{name} → {rest}";
                }
            return null;
        }
        return _paths[key] = Find();
    }

    private IEnumerable<MethodDefinition> Implementations(MethodDefinition method)
    {
        if (method.HasBody) yield return method;
        if (!method.IsVirtual) yield break;
        foreach (var candidate in _virtualsByName[method.Name])
            if (candidate != method && candidate.HasBody && candidate.Parameters.Count == method.Parameters.Count
                && DerivesFrom(candidate.DeclaringType, method.DeclaringType))
                yield return candidate;
    }

    private static bool DerivesFrom(TypeDefinition type, TypeDefinition ancestor)
    {
        for (var t = type.BaseType; t is not null; t = Safe(() => t.Resolve())?.BaseType)
            if (t.FullName == ancestor.FullName) return true;
        return false;
    }

    /// <summary>Methods called, constructed or taken as delegates (lambdas included) by the method's body.</summary>
    private static IEnumerable<MethodReference> Callees(MethodDefinition method) =>
        method.HasBody ? method.Body.Instructions.Select(i => i.Operand).OfType<MethodReference>() : [];

    private static bool IsImplicitScalar(MethodReference callee) =>
        callee.Name == "op_Implicit" && callee.ReturnType.FullName == "TorchSharp.Scalar";

    private static MethodDefinition? Resolve(MethodReference callee) =>
        Safe(callee.Resolve) is { } target && target.Module.Assembly.Name.Name == "TorchSharp" ? target : null;

    private static T? Safe<T>(Func<T> resolve) where T : class
    {
        try { return resolve(); }
        catch (AssemblyResolutionException) { return null; }
    }

    public void Dispose() => _torchSharp.Dispose();
}
