namespace SaeWorkbench.Ml.Lm.Training;

/// <summary>Recipe of a language-model training run. Everything that determines the result is here.</summary>
public sealed record LmTrainingOptions
{
    /// <summary>Shape of the model to train; its VocabSize and BosTokenId are taken from the tokenizer.</summary>
    public required Gpt2Config Model { get; init; }

    /// <summary>Optimiser steps in the whole run.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Windows per step; each window is Model.ContextLength + 1 tokens (inputs and shifted targets).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Peak learning rate, reached after the warm-up.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>The cosine decay ends at LearningRate × this.</summary>
    public double MinLearningRateRatio { get; init; } = 0.1;

    /// <summary>Steps of linear warm-up from 0 to LearningRate.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>AdamW decoupled weight decay (Loshchilov &amp; Hutter 2019), applied to every parameter.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Global gradient-norm clip.</summary>
    public double GradientClip { get; init; } = 1.0;

    /// <summary>Validation loss every this many steps (and at the end).</summary>
    public int EvalEvery { get; init; } = 100;

    /// <summary>At most this many validation windows per evaluation (the same ones every time).</summary>
    public int EvalWindows { get; init; } = 256;

    /// <summary>Checkpoint every this many steps (and when cancelled, and at the end).</summary>
    public int CheckpointEvery { get; init; } = 200;

    /// <summary>Seeds the weight initialisation and the order of the training windows.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Fraction of corpus files held out for validation (by hash of their path).</summary>
    public double ValidationFraction { get; init; } = 0.1;
}

/// <summary>One progress report of a training run.</summary>
public sealed record LmTrainingProgress(
    int Step, int TotalSteps, double Loss, double? ValidationLoss, double LearningRate,
    double TokensPerSecond, long TokensSeen, TimeSpan Elapsed);

/// <summary>Outcome of a finished run.</summary>
public sealed record LmTrainingResult(
    int Steps, long TokensSeen, TimeSpan WallTime, double FinalTrainLoss, double ValidationLoss,
    int TrainWindows, int ValidationWindows, bool Resumed);
