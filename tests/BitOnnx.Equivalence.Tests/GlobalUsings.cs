global using BitOnnx.Pipelines.Verification;
global using Microsoft.VisualStudio.TestTools.UnitTesting;
