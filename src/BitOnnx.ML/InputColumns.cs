using BitOnnx.Core;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BitOnnx.ML;

/// <summary>
/// The checks ML.NET lets an estimator make on a schema before any row is read: every column named is there, scalar
/// Int32. Row values are checked where they are read (Fit) or inside the ONNX graph (scoring).
/// </summary>
internal static class InputColumns
{
    public static void Require(SchemaShape schema, params string[] names)
    {
        foreach (var name in names)
        {
            var column = schema.FirstOrDefault(c => c.Name == name);
            if (column.Name is null) throw Missing(name, names);
            if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.IsKey || column.ItemType != NumberDataViewType.Int32)
                throw WrongType(name, (column.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : "a vector of ") + (column.IsKey ? "keys" : column.ItemType?.ToString()));
        }
    }

    public static void Require(DataViewSchema schema, params string[] names)
    {
        foreach (var name in names)
        {
            var column = schema.GetColumnOrNull(name) ?? throw Missing(name, names);
            if (column.Type != NumberDataViewType.Int32) throw WrongType(name, column.Type.ToString() ?? "another type");
        }
    }

    private static BitOnnxException Missing(string name, string[] names) =>
        new($"The data has no column '{name}'; the modular-addition model needs Int32 columns {string.Join(", ", names)}.");

    private static BitOnnxException WrongType(string name, string actual) =>
        new($"Column '{name}' is {actual}, but the modular-addition model expects a scalar Int32; convert it with mlContext.Transforms.Conversion.ConvertType.");
}
