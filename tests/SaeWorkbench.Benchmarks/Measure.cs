using System.Diagnostics;
using static TorchSharp.torch;

namespace SaeWorkbench.Benchmarks;

/// <summary>
/// Shared measuring helpers. The machine is shared, so every goal is a ratio of operations timed in the same run,
/// interleaved (a, b, c, a, b, c, …) and reduced to medians; the load average and thread count are printed beside them.
/// </summary>
internal static class Measure
{
    /// <summary>"load average 1.23 0.98 0.77" from /proc/loadavg, or "load average n/a".</summary>
    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"load average {parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException) { return "load average n/a"; }
        catch (UnauthorizedAccessException) { return "load average n/a"; }
    }

    /// <summary>
    /// "reference work 41 ms CPU": the least of three runs of one fixed single-threaded computation (sorting 1,000,000
    /// integers from a fixed seed and hashing 16 MB), in this thread's CPU time. The shared VM's cores sometimes run
    /// several times slower than usual with nothing else running and no steal time reported; a run's figures are then
    /// comparable with another's only divided by this.
    /// </summary>
    public static string ReferenceWork()
    {
        var values = new int[1_000_000];
        var bytes = new byte[16 << 20];
        var best = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var random = new Random(1234);
            for (var i = 0; i < values.Length; i++) values[i] = random.Next();
            random.NextBytes(bytes);
            var start = ThreadCpu();
            Array.Sort(values);
            System.Security.Cryptography.SHA256.HashData(bytes);
            best = Math.Min(best, (ThreadCpu() - start).TotalMilliseconds);
        }
        return FormattableString.Invariant($"reference work {best:F0} ms CPU");
    }

    // The calling thread's CPU time (Linux, CLOCK_THREAD_CPUTIME_ID): other threads, the JIT's or a host's, may work beside
    // the reference work. Elsewhere the wall time, which the idle moments the benchmarks call this at make close to it.
    private static TimeSpan ThreadCpu()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(3, out var ts) == 0) return TimeSpan.FromTicks(ts.Seconds * TimeSpan.TicksPerSecond + ts.Nanoseconds / 100);
        return Stopwatch.GetElapsedTime(0);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    public static string Threads() =>
        $"torch threads {get_num_threads()}, logical processors {Environment.ProcessorCount}";

    public static int IntArg(IReadOnlyList<string> args, string name, int fallback)
    {
        for (var i = 0; i + 1 < args.Count; i++) if (args[i] == name) return int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
        return fallback;
    }

    /// <summary>Applies --threads N when given.</summary>
    public static void ApplyThreads(IReadOnlyList<string> args)
    {
        var threads = IntArg(args, "--threads", 0);
        if (threads > 0) set_num_threads(threads);
    }

    /// <summary>
    /// Median wall and process-CPU seconds of each action, running the actions in turn each iteration after
    /// <paramref name="warmups"/> untimed rounds. Each action runs in its own dispose scope.
    /// </summary>
    public static (double Wall, double Cpu)[] Interleaved(int iters, int warmups, params Action[] actions)
    {
        var wall = actions.Select(_ => new List<double>()).ToArray();
        var cpu = actions.Select(_ => new List<double>()).ToArray();
        var process = Process.GetCurrentProcess();
        for (var i = 0; i < iters + warmups; i++)
        {
            for (var s = 0; s < actions.Length; s++)
            {
                using var scope = NewDisposeScope();
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                actions[s]();
                sw.Stop();
                process.Refresh();
                if (i < warmups) continue;
                wall[s].Add(sw.Elapsed.TotalSeconds);
                cpu[s].Add((process.TotalProcessorTime - cpu0).TotalSeconds);
            }
        }
        return actions.Select((_, s) => (Median(wall[s]), Median(cpu[s]))).ToArray();
    }

    public static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        var n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
