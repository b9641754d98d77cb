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
