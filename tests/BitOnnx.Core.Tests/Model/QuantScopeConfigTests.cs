using BitOnnx.Core.Model;

namespace BitOnnx.Core.Tests.Model;

[TestClass]
public sealed class QuantScopeConfigTests
{
    [TestMethod]
    public void ConfigJsonWithoutQuantScopeReadsAsLinears()
    {
        var json = TransformerConfig.Li2024.ToJson();
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        Assert.IsTrue(node.Remove("quant_scope"), "the config JSON names the scope quant_scope");
        Assert.AreEqual(QuantScope.Linears, TransformerConfig.FromJson(node.ToJsonString()).QuantScope);
    }

    [TestMethod]
    public void ScopeAllRoundTripsThroughJson()
    {
        var config = TransformerConfig.Li2024 with { Quantization = WeightQuantization.Ternary, QuantScope = QuantScope.All };
        StringAssert.Contains(config.ToJson(), "\"quant_scope\": \"all\"");
        Assert.AreEqual(config, TransformerConfig.FromJson(config.ToJson()));
    }

    [TestMethod]
    public void ScopeAllWithFullPrecisionIsAProblem()
    {
        var config = TransformerConfig.Li2024 with { QuantScope = QuantScope.All, P = 1 };
        var problems = config.Problems();
        Assert.AreEqual(2, problems.Count, "every problem is listed at once");
        Assert.IsTrue(problems.Any(p => p.Contains("quant_scope all", StringComparison.Ordinal)));
        Assert.ThrowsExactly<ConfigException>(() => config.Validated());
        Assert.AreEqual(0, (config with { P = 113, Quantization = WeightQuantization.Binary }).Problems().Count);
    }
}
