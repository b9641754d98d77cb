using System.Reflection;
using System.Reflection.Emit;
using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Ml.Sae.Synthetic;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Runtime;

/// <summary>
/// TorchSharp 0.107 turns numbers into <see cref="Scalar"/>s that are never disposed, and the GC can finalize one while
/// libtorch still reads it (the intermittent "Unknown scalar type" in training; see <see cref="TorchScalars"/>). These
/// tests keep SaeWorkbench.Ml free of such calls and run training under heavy GC pressure.
/// </summary>
[Collection(TorchThreadsCollection.Name)]
public class TorchScalarSafetyTests
{
    [Fact]
    public void SaeWorkbench_Ml_calls_no_TorchSharp_overload_that_creates_an_undisposed_Scalar()
    {
        var findings = ScalarScan.Scan(typeof(TorchScalars).Assembly);
        Assert.True(findings.Count == 0, "implicit TorchSharp Scalars (use TorchScalars):\n" + string.Join("\n", findings));
    }

    [Fact]
    public void The_scan_finds_implicit_scalars_in_tensor_arithmetic()
    {
        var method = typeof(TorchScalarSafetyTests).GetMethod(nameof(UnsafeArithmetic), BindingFlags.NonPublic | BindingFlags.Static)!;
        var findings = ScalarScan.ScanMethod(method);
        Assert.Contains(findings, f => f.Contains("op_Multiply(Tensor, Double)"));      // a TorchSharp operator with a number
        Assert.Contains(findings, f => f.Contains("op_Addition(Tensor, Tensor)"));      // its implicit alpha Scalar of 1
        Assert.Contains(findings, f => f.Contains("Scalar.op_Implicit"));               // a number passed where a Scalar goes
        Assert.Contains(findings, f => f.Contains("square()"));                         // pow with an implicit 2
        var safe = typeof(TorchScalarSafetyTests).GetMethod(nameof(SafeArithmetic), BindingFlags.NonPublic | BindingFlags.Static)!;
        Assert.Empty(ScalarScan.ScanMethod(safe));
    }

    private static Tensor UnsafeArithmetic(Tensor a, Tensor b) => (a * 2.0 + b).clamp_min(1e-30).square();

    private static Tensor SafeArithmetic(Tensor a, Tensor b) => a.Times(2.0).Plus(b).ClampMin(1e-30).Squared();

    [Fact]
    public void Helpers_compute_what_the_operators_compute()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(3);
        var a = randn(new long[] { 5, 7 }, generator: gen);
        var b = randn(new long[] { 5, 7 }, generator: gen);
        var i = arange(10, dtype: int64);
        void Same(Tensor expected, Tensor actual)
        {
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.eq(actual).all().item<bool>(), "results differ");
        }
        Same(a * 0.3, a.Times(0.3));
        Same(i * 3, i.Times(3L));
        Same(a / 7.0, a.DividedBy(7.0));
        Same(i / 4, i.DividedBy(4L));
        Same(2.5 / a, a.Into(2.5));
        Same(a + 1.5, a.Plus(1.5));
        Same(a + b, a.Plus(b));
        Same(a - 0.25, a.Minus(0.25));
        Same(1 - a, a.SubtractedFrom(1));
        Same(a.square(), a.Squared());
        Same(a > 0.1, a.Gt(0.1));
        Same(a >= 0.1, a.Ge(0.1));
        Same(i >= 4, i.Ge(4L));
        Same(a < 0.1, a.Lt(0.1));
        Same(i == 3, i.Eq(3));
        Same(i != 3, i.Ne(3));
        Same(a.clamp_min(0.2), a.ClampMin(0.2));
        Same(a.clamp_max(0.2), a.ClampMax(0.2));
        Same(a.clamp(-0.5, 0.5), a.Clamp(-0.5, 0.5));
        Same(a.masked_fill(a > 0, -1.0), a.MaskedFill(a.Gt(0), -1.0));
        Same(arange(3, 9, dtype: int64), TorchScalars.Arange(3, 9));
        Same(full(new long[] { 2, 3 }, 1.25f), TorchScalars.Full(1.25, new long[] { 2, 3 }));
        Same(zeros(10).index_add_(0, i, a.reshape(-1)[..10], 1), zeros(10).IndexAddInPlace(0, i, a.reshape(-1)[..10]));
        Same(a.clone().add_(b, 0.5), a.clone().PlusInPlace(b, 0.5));
        Same(a.clone().mul_(3.0), a.clone().TimesInPlace(3.0));
    }

    /// <summary>
    /// Training (TopK with AuxK, and ReLU-L1), metrics and the sparse kernels (with arguments that force temporary copies)
    /// on tiny shapes while another thread forces full collections and runs finalizers as fast as it can; the result must
    /// equal an undisturbed run bit for bit. The race it provokes is narrow (a finalizer has to run inside one native call),
    /// so this is the probabilistic half of the guard; the IL scan above is the deterministic half.
    /// </summary>
    [Fact]
    public void Training_steps_give_the_same_result_while_another_thread_collects_garbage()
    {
        var quiet = Train(TimeSpan.Zero, out _);
        using var stop = new CancellationTokenSource();
        var collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Mostly gen-0 collections (where the fresh Scalars and tensors are), a full one now and then.
                var n = Interlocked.Increment(ref collections);
                GC.Collect(n % 16 == 0 ? 2 : 0, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        collector.Start();
        float[] pressed;
        int steps;
        try
        {
            pressed = Train(TimeSpan.FromSeconds(1), out steps);
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
        Assert.True(collections > 10, $"only {collections} collections ran");
        Assert.True(steps >= 10, $"only {steps} steps ran");
        Assert.Equal(quiet.Length, pressed.Length);
        Assert.True(quiet.AsSpan().SequenceEqual(pressed), "training under GC pressure gave a different result");
    }

    /// <summary>Repeats a fixed 10-step run (several times while the clock allows); returns the last run's parameters.</summary>
    private static float[] Train(TimeSpan atLeast, out int steps)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        steps = 0;
        float[] result;
        do
        {
            result = RunOnce();
            steps += 10;
        } while (clock.Elapsed < atLeast);
        return result;
    }

    private static float[] RunOnce()
    {
        using var scope = NewDisposeScope();
        using var data = new ToySuperposition(d: 16, n: 32, firingProbability: 0.1, FeatureMagnitude.Uniform01, seed: 5);
        var topK = new SaeTrainingConfig
        {
            Architecture = SaeArchitecture.TopK, Latents = 64, K = 4, BatchSize = 64, TrainingTokens = 64 * 10,
            DeadWindowSteps = 3, AuxK = 8, Threads = 1,
        };
        using var gen = new Generator().manual_seed(1);
        using var state = SaeTrainingState.Initialise(topK, 16, zeros(16), gen);
        using var relu = SaeTrainingState.Initialise(topK with { Architecture = SaeArchitecture.Relu }, 16, zeros(16), gen);
        var kernels = 0f;
        for (var step = 0; step < 10; step++)
        {
            using var inner = NewDisposeScope();
            var x = data.NextBatch(64).Times(1.5);
            foreach (var s in new[] { state, relu })
            {
                var r = SaeTrainingStep.Compute(s, x, 0.1);
                SaeOptimizer.Apply(s, r.Gradients, 1e-3);
                s.RecordFired(r.FiredMask);
            }
            // W_enc.t() is not contiguous: the kernels work on a private copy that only they keep alive.
            var (vals, idx) = SparseLatents.TopK(x.matmul(state.WEnc), 4);
            kernels += SparseLatents.Decode(idx, vals, state.WEnc.t(), state.BDec).sum().item<float>();
            kernels += SparseLatents.GatherDot(idx, state.WEnc.t(), x.t().contiguous().t()).sum().item<float>();
        }
        using var sae = state.ToAutoencoder();
        using var metrics = new SaeMetricsAccumulator(sae);
        metrics.Add(data.NextBatch(64));
        var m = metrics.Result();
        return state.WDec.data<float>().ToArray().Concat(relu.WEnc.data<float>().ToArray()).Append((float)m.Fvu).Append(kernels).ToArray();
    }
}

/// <summary>
/// Finds, in compiled IL, calls that make TorchSharp 0.107 create a Scalar nobody disposes: an implicit conversion to
/// Scalar (or of a number to a Tensor), a Tensor operator with a number operand, and any TorchSharp method that makes
/// such a conversion itself (searched a few calls deep), such as <c>a + b</c>, <c>add_(b)</c>, <c>square()</c>, <c>arange(n)</c>.
/// </summary>
internal static class ScalarScan
{
    private static readonly OpCode[] OneByte = new OpCode[256];
    private static readonly OpCode[] TwoByte = new OpCode[256];
    private static readonly Dictionary<MethodBase, bool> Hidden = new();
    private static readonly string[] Numbers = ["Double", "Single", "Int32", "Int64", "Int16", "Byte", "SByte", "Boolean"];
    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    static ScalarScan()
    {
        foreach (var f in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)f.GetValue(null)!;
            var v = (ushort)op.Value;
            if (op.Size == 1) OneByte[v] = op; else TwoByte[v & 0xff] = op;
        }
    }

    public static List<string> Scan(Assembly assembly) =>
        assembly.GetTypes()
            .SelectMany(t => t.GetMethods(All).Cast<MethodBase>().Concat(t.GetConstructors(All)))
            .SelectMany(ScanMethod)
            .ToList();

    public static List<string> ScanMethod(MethodBase method)
    {
        var found = new List<string>();
        foreach (var callee in Callees(method))
        {
            if (IsTorch(callee) && (IsDirectlyUnsafe(callee) || HidesScalar(callee, 0)))
                found.Add($"{method.DeclaringType?.FullName}.{method.Name} calls {Describe(callee)}");
        }
        return found;
    }

    private static bool IsTorch(MethodBase m) => m.DeclaringType?.Assembly == typeof(Scalar).Assembly;

    private static bool IsDirectlyUnsafe(MethodBase m)
    {
        var type = m.DeclaringType!;
        if (m.Name == "op_Implicit" && (type == typeof(Scalar) || type == typeof(Tensor))) return true;
        return m.Name.StartsWith("op_", StringComparison.Ordinal) && type == typeof(Tensor) &&
               m.GetParameters().Any(p => Numbers.Contains(p.ParameterType.Name));
    }

    /// <summary>Whether a TorchSharp method converts a number to a Scalar itself (up to four calls deep).</summary>
    private static bool HidesScalar(MethodBase m, int depth)
    {
        if (depth > 4) return false;
        lock (Hidden)
            if (Hidden.TryGetValue(m, out var known)) return known;
        var result = false;
        foreach (var callee in Callees(m))
        {
            if (!IsTorch(callee)) continue;
            if (callee.Name == "op_Implicit" && callee.DeclaringType == typeof(Scalar)) { result = true; break; }
            if (callee.Name.StartsWith("THS", StringComparison.Ordinal)) continue;   // native entry points
            if (HidesScalar(callee, depth + 1)) { result = true; break; }
        }
        lock (Hidden) Hidden[m] = result;
        return result;
    }

    private static string Describe(MethodBase m) =>
        $"{m.DeclaringType?.Name}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))})" +
        (m.Name == "square" ? " [square()]" : "");

    /// <summary>Methods called (call, callvirt, newobj, ldftn) in <paramref name="method"/>'s IL.</summary>
    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException) { il = null; }
        if (il is null) yield break;
        var typeArgs = method.DeclaringType is { IsGenericType: true } dt ? dt.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            OpCode op;
            if (il[i] == 0xfe) { op = TwoByte[il[i + 1]]; i += 2; }
            else { op = OneByte[il[i]]; i += 1; }
            var size = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (op.OperandType == OperandType.InlineMethod)
            {
                MethodBase? callee = null;
                try { callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArgs, methodArgs); }
                catch (ArgumentException) { }
                if (callee is not null) yield return callee;
            }
            i += size;
        }
    }
}
