namespace SaeWorkbench.Ml.Lm.Training;

/// <summary>Linear warm-up, then cosine decay to a floor (as in nanoGPT's get_lr).</summary>
public static class LearningRateSchedule
{
    public static double At(int step, LmTrainingOptions options)
    {
        if (step < options.WarmupSteps) return options.LearningRate * (step + 1) / options.WarmupSteps;
        var min = options.LearningRate * options.MinLearningRateRatio;
        var span = Math.Max(1, options.Steps - options.WarmupSteps);
        var progress = Math.Min(1.0, (double)(step - options.WarmupSteps) / span);
        return min + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (options.LearningRate - min);
    }
}
