using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Runtime;

/// <summary>What the native torch runtime offers on this machine.</summary>
public sealed record TorchRuntimeInfo(string TorchSharpVersion, string Backend, IReadOnlyList<string> Devices, int Threads);

/// <summary>Result of loading the native library: either the runtime's description or why it failed.</summary>
public sealed record TorchProbe(bool Loaded, TorchRuntimeInfo? Info, string? Error);

public static class TorchRuntime
{
    private static readonly Lazy<TorchProbe> Cached = new(ProbeNow, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Loads the native library once and describes it; never throws.</summary>
    public static TorchProbe Probe() => Cached.Value;

    /// <summary>The best device: <c>cuda</c> when a GPU and the CUDA build are present, else <c>cpu</c>.</summary>
    public static Device BestDevice() => Probe().Info?.Devices.Contains("cuda:0") == true ? CUDA : CPU;

    private static TorchProbe ProbeNow()
    {
        try
        {
            InitializeDeviceType(DeviceType.CPU);
            var devices = new List<string> { "cpu" };
            if (cuda.is_available())
                for (var i = 0; i < cuda.device_count(); i++) devices.Add($"cuda:{i}");
            var version = FileVersionInfo.GetVersionInfo(typeof(torch).Assembly.Location).ProductVersion ?? "unknown";
            var backend = devices.Count > 1 ? "cuda" : "cpu";
            return new TorchProbe(true, new TorchRuntimeInfo(version, backend, devices, get_num_threads()), null);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException or InvalidOperationException or BadImageFormatException)
        {
            var inner = e;
            while (inner.InnerException is not null) inner = inner.InnerException;
            return new TorchProbe(false, null, $"the native torch library could not load: {inner.Message}");
        }
    }
}
