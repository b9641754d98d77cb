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

/// <summary>
/// A stream of (input, output) activation pairs for a transcoder (docs/science.md §12): each row is the activation at
/// the input hook (<see cref="InputWidth"/> columns) followed by the same token's activation at the output hook
/// (<see cref="OutputWidth"/> columns), both read in one forward pass, so <see cref="IActivationSource.Width"/> is their
/// sum and a shuffle moves the pair together. <see cref="OutputWidth"/> is 0 when the source reads one hook only.
/// </summary>
public interface IActivationPairSource : IActivationSource
{
    int InputWidth { get; }

    int OutputWidth { get; }

    /// <summary>The output hook, or null when the source reads one hook only.</summary>
    string? OutputHookName { get; }
}
