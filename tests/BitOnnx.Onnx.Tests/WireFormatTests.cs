using BitOnnx.Onnx.Proto;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Onnx.Tests;

/// <summary>
/// Our onnx.proto must use the ONNX spec's field numbers. These bytes are written by hand from the spec
/// (tag = field_number &lt;&lt; 3 | wire_type), independently of the generated classes.
/// </summary>
[TestClass]
public class WireFormatTests
{
    [TestMethod]
    public void HandEncodedModelParsesIntoTheRightFields()
    {
        byte[] opset = [0x0A, 0x00, 0x10, 0x15];                     // domain (1) "", version (2) 21
        byte[] dim = [0x12, 0x05, (byte)'b', (byte)'a', (byte)'t', (byte)'c', (byte)'h']; // dim_param (2)
        byte[] shape = [0x0A, (byte)dim.Length, .. dim];            // dim (1)
        byte[] tensorType = [0x08, 0x07, 0x12, (byte)shape.Length, .. shape]; // elem_type (1) INT64, shape (2)
        byte[] type = [0x0A, (byte)tensorType.Length, .. tensorType]; // tensor_type (1)
        byte[] input = [0x0A, 0x01, (byte)'x', 0x12, (byte)type.Length, .. type]; // name (1), type (2)
        byte[] tensor = [0x08, 0x02, 0x10, 0x03, 0x42, 0x01, (byte)'w', 0x4A, 0x02, 0xFE, 0x05]; // dims (1) 2, data_type (2) INT8, name (8), raw_data (9)
        byte[] node = [0x0A, 0x01, (byte)'x', 0x12, 0x01, (byte)'y', 0x22, 0x04, (byte)'R', (byte)'e', (byte)'l', (byte)'u', 0x3A, 0x00]; // input (1), output (2), op_type (4), domain (7)
        byte[] graph = [0x0A, (byte)node.Length, .. node, 0x12, 0x01, (byte)'g', 0x2A, (byte)tensor.Length, .. tensor, 0x5A, (byte)input.Length, .. input]; // node (1), name (2), initializer (5), input (11)
        byte[] entry = [0x0A, 0x01, (byte)'k', 0x12, 0x01, (byte)'v'];
        byte[] model = [0x08, 0x0A, 0x42, (byte)opset.Length, .. opset, 0x3A, (byte)graph.Length, .. graph, 0x72, (byte)entry.Length, .. entry]; // ir_version (1), opset_import (8), graph (7), metadata_props (14)

        var parsed = OnnxModel.FromBytes(model);

        Assert.AreEqual(10, parsed.IrVersion);
        Assert.AreEqual(21, parsed.Opsets[""]);
        Assert.AreEqual("g", parsed.Graph.Name);
        Assert.AreEqual("Relu", parsed.Graph.Node[0].OpType);
        Assert.AreEqual("x: Int64 [batch]", parsed.Inputs[0].ToString());
        CollectionAssert.AreEqual(new sbyte[] { -2, 5 }, parsed.ReadInitializer<sbyte>("w"));
        Assert.AreEqual("v", parsed.Metadata["k"]);
        Assert.AreEqual(0, parsed.Proto.CalculateSize() - model.Length, "re-encoding gives the same size");
    }

    [TestMethod]
    public void AttributeFieldsUseSpecNumbers()
    {
        // name (1) "a", type (20) INTS = 7, ints (8) 4 and 5 (unpacked, as proto2 writes them)
        byte[] attribute = [0x0A, 0x01, (byte)'a', 0xA0, 0x01, 0x07, 0x40, 0x04, 0x40, 0x05];
        var parsed = AttributeProto.Parser.ParseFrom(attribute);

        Assert.AreEqual("a", parsed.Name);
        Assert.AreEqual(AttributeProto.Types.AttributeType.Ints, parsed.Type);
        CollectionAssert.AreEqual(new long[] { 4, 5 }, parsed.Ints.ToArray());
        byte[] inFieldOrder = [0x0A, 0x01, (byte)'a', 0x40, 0x04, 0x40, 0x05, 0xA0, 0x01, 0x07];
        CollectionAssert.AreEqual(inFieldOrder, parsed.ToByteArray(), "written in field-number order, ints unpacked");
    }
}
