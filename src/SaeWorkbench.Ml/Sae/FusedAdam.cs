using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// One Adam update in a single pass over CPU float32 memory (libtorch would make about eight passes):
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε).
/// Elementwise, so the result does not depend on how the work is split across threads.
/// </summary>
internal static class FusedAdam
{
    public static bool Supports(params Tensor[] tensors) =>
        tensors.All(t => t.device_type == DeviceType.CPU && t.dtype == float32 && t.is_contiguous()) &&
        tensors.All(t => t.NumberOfElements == tensors[0].NumberOfElements);

    private static unsafe float* Pointer(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    public static unsafe void Step(Tensor param, Tensor grad, Tensor m, Tensor v, float beta1, float beta2,
        float stepSize, float inverseSqrtBias2, float eps)
    {
        var n = param.NumberOfElements;
        var pp = Pointer(param);
        var gp = Pointer(grad);
        var mp = Pointer(m);
        var vp = Pointer(v);
        var threads = Math.Max(1, torch.get_num_threads());
        const long minChunk = 1 << 16;
        var chunks = (int)Math.Max(1, Math.Min(threads, n / minChunk));
        var chunk = (n + chunks - 1) / chunks;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, c =>
        {
            var start = c * chunk;
            var end = Math.Min(n, start + chunk);
            var width = Vector<float>.Count;
            var vb1 = new Vector<float>(beta1);
            var vb1c = new Vector<float>(1 - beta1);
            var vb2 = new Vector<float>(beta2);
            var vb2c = new Vector<float>(1 - beta2);
            var vStep = new Vector<float>(stepSize);
            var vBias = new Vector<float>(inverseSqrtBias2);
            var vEps = new Vector<float>(eps);
            var i = start;
            for (; i + width <= end; i += width)
            {
                var g = Unsafe.ReadUnaligned<Vector<float>>(gp + i);
                var mi = vb1 * Unsafe.ReadUnaligned<Vector<float>>(mp + i) + vb1c * g;
                var vi = vb2 * Unsafe.ReadUnaligned<Vector<float>>(vp + i) + vb2c * (g * g);
                Unsafe.WriteUnaligned(mp + i, mi);
                Unsafe.WriteUnaligned(vp + i, vi);
                var p = Unsafe.ReadUnaligned<Vector<float>>(pp + i) - vStep * mi / (Vector.SquareRoot(vi) * vBias + vEps);
                Unsafe.WriteUnaligned(pp + i, p);
            }
            for (; i < end; i++)
            {
                var g = gp[i];
                mp[i] = beta1 * mp[i] + (1 - beta1) * g;
                vp[i] = beta2 * vp[i] + (1 - beta2) * (g * g);
                pp[i] -= stepSize * mp[i] / (MathF.Sqrt(vp[i]) * inverseSqrtBias2 + eps);
            }
        });
    }
}
