using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SaeWorkbench.Ml.Runtime;

/// <summary>
/// Asks libtorch to back large CPU tensors (≥ 2 MB) with transparent huge pages (its <c>THP_MEM_ALLOC_ENABLE</c>
/// switch). Every fresh large tensor (a 32 × 128 × 4,096 logits tensor is 64 MB; an SAE's [B, m] pre-activations as
/// much) otherwise costs one page fault per 4 KB, which on a virtual machine took ~40% of the LM head's time in the
/// lm-forward benchmark. libtorch reads the variable once, at its first allocation, from the native environment, so it
/// is set here — when this assembly loads, before any of its code runs — unless the user has set it (to 0 to opt out).
/// Linux only; elsewhere, or when libc cannot be called, nothing changes.
/// </summary>
internal static class NativeAllocatorSettings
{
    internal const string Variable = "THP_MEM_ALLOC_ENABLE";

#pragma warning disable CA2255 // A module initializer is the only hook that runs before this library's first torch allocation.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null) return;
        try
        {
            _ = setenv(Variable, "1", 0); // overwrite = 0: a value set natively by the host wins
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc-compatible: keep libtorch's default.
        }
    }

    [DllImport("libc", CharSet = CharSet.Ansi, ExactSpelling = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
