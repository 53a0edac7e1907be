using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("BitOnnx.Torch.Tests")]
[assembly: InternalsVisibleTo("BitOnnx.Benchmarks")]
