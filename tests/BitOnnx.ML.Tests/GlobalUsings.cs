global using Microsoft.ML.Data;
global using Microsoft.VisualStudio.TestTools.UnitTesting;
