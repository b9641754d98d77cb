using System.Globalization;

namespace SaeWorkbench.Web.Components.Shared;

/// <summary>
/// Axis numbers short enough for a 44-pixel tick column: 84000 is "84k", 1234567 is "1.23M", 0.00012 is "1.2e-4",
/// never the clipped "8.4E+04" of .NET's general format.
/// </summary>
public static class ChartNumbers
{
    public static string Compact(double v)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsInfinity(v)) return v > 0 ? "∞" : "−∞";
        if (v == 0) return "0";
        // Round to three significant digits first so 999,950 becomes "1M", not "1000k".
        var digits = (int)Math.Floor(Math.Log10(Math.Abs(v))) + 1;
        var step = Math.Pow(10, digits - 3);
        v = Math.Round(v / step) * step;
        var a = Math.Abs(v);
        if (a >= 1e12) return Scientific(v);
        if (a >= 1e9) return Scaled(v / 1e9) + "B";
        if (a >= 1e6) return Scaled(v / 1e6) + "M";
        if (a >= 1e3) return Scaled(v / 1e3) + "k";
        if (a >= 0.01) return Scaled(v);
        return Scientific(v);
    }

    // Three significant digits at most: 84k, 8.4k, 1.23M, 0.123.
    private static string Scaled(double v)
    {
        var a = Math.Abs(v);
        var format = a >= 100 ? "0" : a >= 10 ? "0.#" : a >= 1 ? "0.##" : a >= 0.1 ? "0.###" : "0.####";
        return v.ToString(format, CultureInfo.InvariantCulture);
    }

    private static string Scientific(double v)
    {
        var exponent = (int)Math.Floor(Math.Log10(Math.Abs(v)));
        var mantissa = v / Math.Pow(10, exponent);
        return mantissa.ToString("0.#", CultureInfo.InvariantCulture) + "e" + exponent.ToString(CultureInfo.InvariantCulture);
    }
}
