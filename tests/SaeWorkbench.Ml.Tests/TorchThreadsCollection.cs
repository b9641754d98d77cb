namespace SaeWorkbench.Ml.Tests;

/// <summary>
/// Tests that set libtorch's thread count (process-wide: <c>SaeTrainingConfig.Threads</c> calls
/// <c>torch.set_num_threads</c>) and tests that need bit-identical results from two runs. libtorch's matrix products
/// may sum in another order with another thread count, so a resumed training run compared with an uninterrupted one
/// differed in the fifth digit when a test running alongside changed the count in between. xUnit runs the classes of
/// one collection one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TorchThreadsCollection
{
    public const string Name = "libtorch thread count";
}
