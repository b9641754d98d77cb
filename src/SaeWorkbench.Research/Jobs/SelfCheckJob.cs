using System.Diagnostics;
using System.Text.Json;
using SaeWorkbench.Ml.Runtime;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Jobs;

/// <summary>
/// Proves the whole path (queue → runner thread → TorchSharp → progress → result): a dense fp32 matrix product on
/// every device, reporting GFLOP/s.
/// </summary>
public sealed class SelfCheckJob : IJobKind
{
    public const string KindName = "self-check";

    public string Name => KindName;

    public string Description => "Multiplies matrices with TorchSharp on each device and reports GFLOP/s.";

    /// <summary>Parameters: size (64–8192, default 1024), repeats (1–1000, default 20).</summary>
    public IReadOnlyList<string> Validate(JsonElement parameters)
    {
        var errors = new List<string>();
        CheckInt(parameters, "size", 64, 8192, errors);
        CheckInt(parameters, "repeats", 1, 1000, errors);
        return errors;
    }

    public object? Run(JobContext context)
    {
        var probe = TorchRuntime.Probe();
        if (!probe.Loaded) throw new InvalidOperationException(probe.Error);
        var size = GetInt(context.Parameters, "size", 1024);
        var repeats = GetInt(context.Parameters, "repeats", 20);
        var devices = probe.Info!.Devices;
        var results = new List<DeviceResult>();
        for (var d = 0; d < devices.Count; d++)
        {
            var device = new Device(devices[d]);
            using var scope = NewDisposeScope();
            var a = randn(size, size, device: device);
            var b = randn(size, size, device: device);
            matmul(a, b).Dispose(); // warm-up
            var seconds = 0.0;
            for (var r = 0; r < repeats; r++)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                using var inner = NewDisposeScope();
                var sw = Stopwatch.StartNew();
                var c = matmul(a, b);
                if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize();
                c.sum().item<float>();
                seconds += sw.Elapsed.TotalSeconds;
                var done = (d + (r + 1.0) / repeats) / devices.Count;
                context.Report(done, $"{devices[d]}: {r + 1}/{repeats} products of {size}×{size}");
            }
            var gflops = 2.0 * size * size * size * repeats / seconds / 1e9;
            results.Add(new DeviceResult(devices[d], Math.Round(gflops, 2)));
            context.Report((d + 1.0) / devices.Count, $"{devices[d]}: {gflops:F1} GFLOP/s");
        }
        return new SelfCheckResult(size, repeats, probe.Info.Threads, results);
    }

    public sealed record DeviceResult(string Device, double Gflops);

    public sealed record SelfCheckResult(int Size, int Repeats, int Threads, IReadOnlyList<DeviceResult> Devices);

    private static void CheckInt(JsonElement p, string name, int min, int max, List<string> errors)
    {
        if (!p.TryGetProperty(name, out var v)) return;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < min || n > max)
            errors.Add($"{name}: must be a whole number from {min} to {max}");
    }

    private static int GetInt(JsonElement p, string name, int fallback) =>
        p.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) ? n : fallback;
}
