using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// The checks every reader runs on a tensor it takes from a file: present, a floating-point dtype, the expected shape,
/// and every value finite (docs/science.md §8, §11). One place for them in the readers; the message names the file and
/// the tensor.
/// </summary>
internal static class WeightReading
{
    public static Tensor Take(IReadOnlyDictionary<string, Tensor> tensors, string file, string name, params long[] shape)
    {
        if (!tensors.TryGetValue(name, out var t))
            throw new SaeFormatException(file, name, $"tensor is missing (present: {string.Join(", ", tensors.Keys.Order(StringComparer.Ordinal))})");
        return Check(t, file, name, shape);
    }

    public static Tensor Check(Tensor t, string file, string name, params long[] shape)
    {
        if (!WeightChecks.IsFloat(t.dtype))
            throw new SaeFormatException(file, name, $"dtype {t.dtype} is not a floating-point type (expected float32, float16, bfloat16 or float64)");
        if (!t.shape.SequenceEqual(shape))
            throw new SaeFormatException(file, name, $"shape [{string.Join(", ", t.shape)}] does not match the expected [{string.Join(", ", shape)}]");
        RequireFinite(t, file, name);
        return t;
    }

    public static void RequireFinite(Tensor t, string file, string name)
    {
        if (WeightChecks.Problem(t) is { } problem) throw new SaeFormatException(file, name, problem);
    }

    /// <summary>A 2-D tensor's shape as text, for messages.</summary>
    public static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";
}
