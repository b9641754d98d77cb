namespace SaeWorkbench.Ml.Sae;

/// <summary>One progress event of a training run, for the live monitor (values of the latest step).</summary>
public sealed record SaeTrainingProgress(
    long Step,
    long TotalSteps,
    long Tokens,
    double Loss,
    double Mse,
    double SparsityLoss,
    double AuxLoss,
    double L0,
    double Fvu,
    double DeadFraction,
    double TokensPerSecond,
    double LearningRate);

/// <summary>The loss became NaN or Inf; the last good checkpoint (if any) is left in place.</summary>
public sealed class SaeTrainingDivergedException(long step, string detail, long? lastCheckpointStep, string? checkpointDirectory)
    : Exception($"SAE training diverged at step {step}: {detail}. " + (lastCheckpointStep is { } s
        ? $"The last good checkpoint (step {s}) is kept in {checkpointDirectory}."
        : "No checkpoint was written before it."))
{
    public long Step { get; } = step;
    public long? LastCheckpointStep { get; } = lastCheckpointStep;
}
