using System.Runtime.CompilerServices;

// The kernel tests run each micro-kernel and the partition planner directly.
[assembly: InternalsVisibleTo("BitOnnx.Engine.Tests")]
[assembly: InternalsVisibleTo("BitOnnx.Benchmarks")]
