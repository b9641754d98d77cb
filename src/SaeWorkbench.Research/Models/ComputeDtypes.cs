using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Models;

/// <summary>
/// The dtypes a model can be loaded and run in (docs/science.md §10.2): float32 (the default, exact against the reference
/// logits), bfloat16 and float16 (half the memory) where the device runs them. Names are PyTorch's.
/// </summary>
public static class ComputeDtypes
{
    public const string Float32 = "float32";
    public const string BFloat16 = "bfloat16";
    public const string Float16 = "float16";

    public static readonly IReadOnlyList<string> Names = [Float32, BFloat16, Float16];

    private static readonly ConcurrentDictionary<(DeviceType, string), string?> Probed = new();

    /// <summary>The PyTorch name of <paramref name="name"/> ("bf16" and "f16" are accepted too), or null when unknown.</summary>
    public static string? Normalize(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "float32" or "f32" or "fp32" => Float32,
        "bfloat16" or "bf16" => BFloat16,
        "float16" or "f16" or "fp16" or "half" => Float16,
        _ => null,
    };

    public static ScalarType ToScalarType(string name) => Normalize(name) switch
    {
        Float32 => ScalarType.Float32,
        BFloat16 => ScalarType.BFloat16,
        Float16 => ScalarType.Float16,
        _ => throw new ArgumentException($"computeDtype: '{name}' is not supported; supported: {string.Join(", ", Names)}"),
    };

    /// <summary>
    /// Null when <paramref name="device"/> runs the operations a forward pass needs in <paramref name="name"/>, else
    /// why not. Probed once per device and dtype with the real operations (a matmul, softmax, RMS norm, GELU) rather
    /// than assumed: which half-precision kernels a CPU build of libtorch has changes between versions.
    /// </summary>
    public static string? Unsupported(string name, Device device)
    {
        var dtype = ToScalarType(name);
        if (dtype == ScalarType.Float32) return null;
        return Probed.GetOrAdd((device.type, Normalize(name)!), _ => Probe(dtype, device));
    }

    private static string? Probe(ScalarType dtype, Device device)
    {
        try
        {
            using var scope = NewDisposeScope();
            var a = ones(new long[] { 4, 8 }, dtype: dtype, device: device);                 // [4, 8]
            var b = ones(new long[] { 8, 4 }, dtype: dtype, device: device);                 // [8, 4]
            var y = matmul(a, b);                                                            // [4, 4]
            // Number-free operations only (tensor–number arithmetic leaks its Scalar, see TorchScalars).
            var z = nn.functional.softmax(y, -1).mul(nn.functional.gelu(y)).mul(nn.functional.silu(y));
            z = z.mul(rsqrt(z.mul(z).mean(new long[] { -1 }, keepdim: true)));
            var sum = z.to(ScalarType.Float32).sum().item<float>();
            return float.IsFinite(sum) ? null : $"{device.type} gives non-finite results in {dtype.ToString().ToLowerInvariant()}";
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            return $"this {device.type.ToString().ToLowerInvariant()} build of libtorch cannot run {dtype.ToString().ToLowerInvariant()}: {e.Message.Split('\n')[0]}";
        }
    }
}
