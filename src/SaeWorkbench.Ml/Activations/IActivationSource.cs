using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Activations;

/// <summary>
/// A stream of activation vectors (one per token) at one hook point, in a fixed order for a fixed seed, so a
/// training run can record its position and resume exactly.
/// </summary>
public interface IActivationSource : IDisposable
{
    /// <summary>Width d of each activation.</summary>
    int Width { get; }

    /// <summary>Model the activations come from ("" for synthetic data).</summary>
    string ModelName { get; }

    /// <summary>Hook point (docs/science.md §9) the activations come from.</summary>
    string HookName { get; }

    /// <summary>Tokens delivered since the start.</summary>
    long Position { get; }

    /// <summary>The next <paramref name="batchSize"/> activations, [B, d] float32, in the caller's dispose scope.</summary>
    Tensor NextBatch(int batchSize);

    /// <summary>
    /// Continues from <paramref name="position"/> tokens, as if that many had been read in batches of the size
    /// used before (0 restarts). Sources that cannot jump replay the stream.
    /// </summary>
    void Seek(long position);
}
