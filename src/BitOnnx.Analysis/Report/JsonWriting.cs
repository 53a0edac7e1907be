using System.Text.Json;

namespace BitOnnx.Analysis.Report;

/// <summary>Number and array writers shared by the page data and summary.json (NaN and ±∞ become null).</summary>
internal static class JsonWriting
{
    /// <summary>Writes a number rounded to <paramref name="digits"/> significant digits (0 = exact).</summary>
    public static void Number(Utf8JsonWriter w, double v, int digits = 0)
    {
        if (double.IsNaN(v) || double.IsInfinity(v))
        {
            w.WriteNullValue();
            return;
        }
        w.WriteNumberValue(digits > 0 ? RoundSignificant(v, digits) : v);
    }

    public static void Number(Utf8JsonWriter w, string name, double? v, int digits = 0)
    {
        w.WritePropertyName(name);
        if (v is null) w.WriteNullValue();
        else Number(w, v.Value, digits);
    }

    public static void Array(Utf8JsonWriter w, string name, IEnumerable<double> values, int digits = 0)
    {
        w.WriteStartArray(name);
        foreach (var v in values) Number(w, v, digits);
        w.WriteEndArray();
    }

    public static void Array(Utf8JsonWriter w, string name, IEnumerable<int> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    public static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    /// <summary>v rounded to <paramref name="digits"/> significant digits; keeps the page's data small.</summary>
    public static double RoundSignificant(double v, int digits)
    {
        if (v == 0) return 0;
        int scale = (int)Math.Floor(Math.Log10(Math.Abs(v))) + 1 - digits;
        if (scale >= 0) return Math.Round(v / Math.Pow(10, scale)) * Math.Pow(10, scale);
        double factor = Math.Pow(10, -scale);
        return scale < -300 ? v : Math.Round(v * factor) / factor;
    }
}
