global using Microsoft.VisualStudio.TestTools.UnitTesting;
global using BitOnnx.Pipelines.Verification;
