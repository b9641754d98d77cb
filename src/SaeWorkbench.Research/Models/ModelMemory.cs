using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using SaeWorkbench.Ml.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Models;

/// <summary>A model that would not fit: the message gives the estimate and what is available.</summary>
public sealed class ModelMemoryException(string message) : Exception(message);

/// <summary>
/// The check before a model is loaded (docs/science.md §10.2): weights at the compute dtype plus one forward pass's
/// activations, against what the device has free — MemAvailable from /proc/meminfo for the CPU, the GPU's free memory
/// for CUDA — so a model too large is refused with both numbers instead of being killed half-way through loading.
/// </summary>
public static class ModelMemory
{
    /// <summary>Bytes free on <paramref name="device"/>, or null when they cannot be read (then nothing is refused).</summary>
    public static long? AvailableBytes(Device device) =>
        device.type == DeviceType.CUDA ? CudaFreeBytes(device.index < 0 ? 0 : device.index) : HuggingFaceModels.AvailableMemoryBytes();

    /// <summary>The estimate for <paramref name="folder"/> at <paramref name="computeDtype"/> on <paramref name="device"/>.</summary>
    public static MemoryEstimate Estimate(string folder, string computeDtype, Device device) => Inspect(folder, computeDtype, device).Memory;

    /// <summary><see cref="HuggingFaceModels.Inspect"/> with the memory estimate against <paramref name="device"/>'s free memory.</summary>
    public static ModelFolderInfo Inspect(string folder, string computeDtype, Device device)
    {
        var info = HuggingFaceModels.Inspect(folder, ComputeDtypes.ToScalarType(computeDtype));
        return device.type != DeviceType.CPU && AvailableBytes(device) is { } free ? info with { Memory = info.Memory with { AvailableBytes = free } } : info;
    }

    /// <summary>Throws <see cref="ModelMemoryException"/> when <paramref name="estimate"/> does not fit.</summary>
    public static void Require(MemoryEstimate estimate, string modelName, Device device)
    {
        if (estimate.Fits) return;
        throw new ModelMemoryException(
            $"Not enough memory to load {modelName} in {estimate.ComputeDtype} on {device.type.ToString().ToLowerInvariant()}: " +
            $"it needs about {MemoryEstimate.Gib(estimate.TotalBytes)} ({MemoryEstimate.Gib(estimate.WeightBytes)} weights + " +
            $"{MemoryEstimate.Gib(estimate.WorkingBytes)} for a {estimate.Tokens}-token forward pass) and " +
            $"{MemoryEstimate.Gib(estimate.AvailableBytes)} is available. " +
            (estimate.ComputeDtype == ComputeDtypes.Float32 ? "Choose bfloat16 on the Models page, or a machine with more memory." : "Use a machine with more memory."));
    }

    /// <summary>Checks <paramref name="folder"/> at <paramref name="computeDtype"/> and returns the estimate it passed.</summary>
    public static MemoryEstimate Check(string folder, string computeDtype, Device device)
    {
        var estimate = Estimate(folder, computeDtype, device);
        Require(estimate, Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), device);
        return estimate;
    }

    /// <summary>
    /// Loads <paramref name="folder"/> in <paramref name="computeDtype"/> on the best device after the memory check:
    /// the one way the inference host and the jobs load a model.
    /// </summary>
    public static LoadedLanguageModel Load(string folder, string? computeDtype)
    {
        var dtype = ComputeDtypes.Normalize(computeDtype) ?? ComputeDtypes.Float32;
        var device = Ml.Runtime.TorchRuntime.BestDevice();
        if (ComputeDtypes.Unsupported(dtype, device) is { } why) throw new ModelMemoryException($"Cannot run {dtype}: {why}.");
        Check(folder, dtype, device);
        return HuggingFaceModels.Load(folder, ComputeDtypes.ToScalarType(dtype), device);
    }

    /// <summary>
    /// The GPU's free memory from <c>nvidia-smi</c>: TorchSharp 0.107 does not bind <c>torch.cuda.mem_get_info</c>.
    /// Null when the tool is missing or answers nothing readable.
    /// </summary>
    private static long? CudaFreeBytes(int index)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("nvidia-smi",
                ["--query-gpu=memory.free", "--format=csv,noheader,nounits", "-i", index.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(10_000) || process.ExitCode != 0) return null;
            return long.TryParse(output.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var mib) ? mib << 20 : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
    }
}
