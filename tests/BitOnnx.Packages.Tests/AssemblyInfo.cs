// The tests share one pack of the libraries (PackedLibraries) and each starts dotnet processes: one at a time.
[assembly: Microsoft.VisualStudio.TestTools.UnitTesting.DoNotParallelize]
