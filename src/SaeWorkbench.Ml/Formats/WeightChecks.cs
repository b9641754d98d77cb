using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// What every weight tensor read from a file must be before it is used (docs/science.md §8, §11): a floating-point
/// dtype (an integer tensor is not a set of weights, and converting it would silently invent them) and only finite
/// values (one NaN or infinity poisons every activation it touches). Format readers call this for each weight tensor.
/// </summary>
public static class WeightChecks
{
    /// <summary>The dtypes weights may be stored in.</summary>
    public static bool IsFloat(ScalarType type) =>
        type is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64;

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file and the tensor when it is not usable weights.</summary>
    public static void Require(string path, string name, Tensor tensor)
    {
        if (Problem(tensor) is { } problem) throw new InvalidDataException($"{path}: tensor '{name}' {problem}");
    }

    /// <summary>Why <paramref name="tensor"/> cannot be used as weights, or null.</summary>
    public static string? Problem(Tensor tensor)
    {
        if (!IsFloat(tensor.dtype))
            return $"has dtype {tensor.dtype}; weights must be floating point (F32, F16, BF16 or F64)";
        using var scope = NewDisposeScope();
        var bad = (~isfinite(tensor)).sum().item<long>();
        if (bad == 0) return null;
        var nan = isnan(tensor).sum().item<long>();
        return $"holds {bad:N0} non-finite values ({nan:N0} NaN, {bad - nan:N0} infinite); weights must be finite";
    }
}
