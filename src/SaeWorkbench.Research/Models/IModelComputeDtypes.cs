namespace SaeWorkbench.Research.Models;

/// <summary>
/// The dtype a model folder's model runs in (docs/science.md §10.2). The workbench answers from the models an Admin
/// registered (<see cref="ModelRegistry"/>); a fixed answer serves code that has no registry, such as a test that loads
/// one folder.
/// </summary>
public interface IModelComputeDtypes
{
    /// <summary>The compute dtype for the model in <paramref name="modelFolder"/>; float32 for a folder nobody registered.</summary>
    string ComputeDtypeOf(string modelFolder);
}

/// <summary>Every folder runs in one dtype (float32 unless told otherwise).</summary>
public sealed class FixedComputeDtype(string dtype) : IModelComputeDtypes
{
    public static readonly FixedComputeDtype Float32 = new(ComputeDtypes.Float32);

    public string ComputeDtypeOf(string modelFolder) => dtype;
}
