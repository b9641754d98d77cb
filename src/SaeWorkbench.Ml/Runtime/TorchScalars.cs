using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Runtime;

/// <summary>
/// Tensor–number arithmetic that keeps its <see cref="Scalar"/> alive until libtorch has finished with it.
/// <para>
/// In TorchSharp 0.107 every operator or method that takes a number (<c>t * 2.0</c>, <c>t + 1</c>, <c>t &gt; 0</c>,
/// <c>clamp_min(1e-30)</c>, <c>fill_(x)</c>) converts it implicitly to a <see cref="Scalar"/> that is never disposed,
/// and so do <c>a + b</c>, <c>add_(b)</c> (an implicit alpha of 1), <c>square()</c> (<c>pow(2)</c>) and
/// <c>arange(n)</c>. Once the native handle has been read the Scalar is unreachable, and a garbage collection on
/// another thread can run its finalizer — freeing the native scalar — while libtorch is still reading it: an
/// intermittent <c>ExternalException: Unknown scalar type</c> or worse (dotnet/TorchSharp PRs #1434, #1496).
/// Every method here creates the Scalar explicitly and disposes it after the call, which also keeps it reachable.
/// SaeWorkbench.Ml calls none of the unsafe overloads; <c>TorchScalarSafetyTests</c> checks its IL for them.
/// </para>
/// Number arguments keep their kind: a <see cref="long"/> stays integral (an int64 tensor stays int64), a
/// <see cref="double"/> takes the tensor's floating type, exactly as the operators do.
/// </summary>
public static class TorchScalars
{
    /// <summary>t · v.</summary>
    public static Tensor Times(this Tensor t, double v) { using var s = v.ToScalar(); return t.mul(s); }

    /// <inheritdoc cref="Times(Tensor, double)"/>
    public static Tensor Times(this Tensor t, long v) { using var s = v.ToScalar(); return t.mul(s); }

    /// <summary>t ← t · v.</summary>
    public static Tensor TimesInPlace(this Tensor t, double v) { using var s = v.ToScalar(); return t.mul_(s); }

    /// <summary>t / v.</summary>
    public static Tensor DividedBy(this Tensor t, double v) { using var s = v.ToScalar(); return t.div(s); }

    /// <inheritdoc cref="DividedBy(Tensor, double)"/>
    public static Tensor DividedBy(this Tensor t, long v) { using var s = v.ToScalar(); return t.div(s); }

    /// <summary>v / t.</summary>
    public static Tensor Into(this Tensor t, double v)
    {
        using var s = v.ToScalar();
        using var r = t.reciprocal();
        return r.mul(s);
    }

    /// <summary>t + v.</summary>
    public static Tensor Plus(this Tensor t, double v)
    {
        using var s = v.ToScalar();
        using var one = 1.ToScalar();
        return t.add(s, one);
    }

    /// <inheritdoc cref="Plus(Tensor, double)"/>
    public static Tensor Plus(this Tensor t, long v)
    {
        using var s = v.ToScalar();
        using var one = 1.ToScalar();
        return t.add(s, one);
    }

    /// <summary>a + b (tensors; TorchSharp's <c>a + b</c> passes an implicit alpha Scalar of 1).</summary>
    public static Tensor Plus(this Tensor a, Tensor b)
    {
        using var one = 1.ToScalar();
        return a.add(b, one);
    }

    /// <summary>a ← a + b.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b)
    {
        using var one = 1.ToScalar();
        return a.add_(b, one);
    }

    /// <summary>a ← a + α·b.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b, double alpha)
    {
        using var s = alpha.ToScalar();
        return a.add_(b, s);
    }

    /// <summary>t ← t + v.</summary>
    public static Tensor PlusInPlace(this Tensor t, long v)
    {
        using var s = v.ToScalar();
        using var one = 1.ToScalar();
        return t.add_(s, one);
    }

    /// <inheritdoc cref="PlusInPlace(Tensor, long)"/>
    public static Tensor PlusInPlace(this Tensor t, double v)
    {
        using var s = v.ToScalar();
        using var one = 1.ToScalar();
        return t.add_(s, one);
    }

    /// <summary>t − v.</summary>
    public static Tensor Minus(this Tensor t, double v)
    {
        using var s = v.ToScalar();
        return t.sub(s);
    }

    /// <summary>v − t.</summary>
    public static Tensor SubtractedFrom(this Tensor t, double v)
    {
        using var s = v.ToScalar();
        using var one = 1.ToScalar();
        using var negative = t.neg();
        return negative.add(s, one);
    }

    /// <summary>t² elementwise, as t·t (TorchSharp's <c>square()</c> is <c>pow</c> with an implicit Scalar 2; x·x is what libtorch computes for it).</summary>
    public static Tensor Squared(this Tensor t) => t.mul(t);

    /// <summary>t &gt; v.</summary>
    public static Tensor Gt(this Tensor t, double v) { using var s = v.ToScalar(); return t.gt(s); }

    /// <summary>t ≥ v.</summary>
    public static Tensor Ge(this Tensor t, double v) { using var s = v.ToScalar(); return t.ge(s); }

    /// <inheritdoc cref="Ge(Tensor, double)"/>
    public static Tensor Ge(this Tensor t, long v) { using var s = v.ToScalar(); return t.ge(s); }

    /// <summary>t = v.</summary>
    public static Tensor Eq(this Tensor t, long v) { using var s = v.ToScalar(); return t.eq(s); }

    /// <summary>t ≠ v.</summary>
    public static Tensor Ne(this Tensor t, long v) { using var s = v.ToScalar(); return t.ne(s); }

    /// <summary>t &lt; v.</summary>
    public static Tensor Lt(this Tensor t, double v) { using var s = v.ToScalar(); return t.lt(s); }

    /// <summary>max(t, v).</summary>
    public static Tensor ClampMin(this Tensor t, double v) { using var s = v.ToScalar(); return t.clamp_min(s); }

    /// <summary>min(t, v).</summary>
    public static Tensor ClampMax(this Tensor t, double v) { using var s = v.ToScalar(); return t.clamp_max(s); }

    /// <summary>t with v where <paramref name="mask"/> is true.</summary>
    public static Tensor MaskedFill(this Tensor t, Tensor mask, double v) { using var s = v.ToScalar(); return t.masked_fill(mask, s); }

    /// <summary>t ← v where <paramref name="mask"/> is true.</summary>
    public static Tensor MaskedFillInPlace(this Tensor t, Tensor mask, long v) { using var s = v.ToScalar(); return t.masked_fill_(mask, s); }

    /// <summary>t[index[i]] += source[i] along <paramref name="dim"/>.</summary>
    public static Tensor IndexAddInPlace(this Tensor t, long dim, Tensor index, Tensor source)
    {
        using var one = 1.ToScalar();
        return t.index_add_(dim, index, source, one);
    }

    /// <summary>min(max(t, lo), hi).</summary>
    public static Tensor Clamp(this Tensor t, double lo, double hi)
    {
        using var a = lo.ToScalar();
        using var b = hi.ToScalar();
        return t.clamp(a, b);
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with v (float32 unless <paramref name="dtype"/> says otherwise).</summary>
    public static Tensor Full(double v, long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        using var s = v.ToScalar();
        return full(shape, s, dtype: dtype, device: device);
    }

    /// <summary>0, 1, …, <paramref name="end"/> − 1.</summary>
    public static Tensor Arange(long end, ScalarType dtype = ScalarType.Int64, Device? device = null) => Arange(0, end, dtype, device);

    /// <summary><paramref name="start"/>, …, <paramref name="end"/> − 1.</summary>
    public static Tensor Arange(long start, long end, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        using var s = start.ToScalar();
        using var e = end.ToScalar();
        using var step = 1L.ToScalar();
        return arange(s, e, step, dtype, device);
    }
}
