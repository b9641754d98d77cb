namespace SaeWorkbench.Research.Limits;

/// <summary>The kinds of work that are limited per user, each with its own budget.</summary>
public enum WorkKind
{
    /// <summary>Labelling writes: interpretations, votes, reviews, comments, scopes, suggestions, notifications (REST and hub).</summary>
    Write,

    /// <summary>Queued jobs (training, analysis, exports, self-checks).</summary>
    Job,

    /// <summary>Interactive passes through a model: test text, steering runs, ablation on text.</summary>
    ModelPass,

    /// <summary>API tokens created.</summary>
    Token,
}

/// <summary>
/// <c>Workbench:RateLimits</c>: the one place that defines how much work one user may ask for per minute. Every budget is
/// per user, whatever the user signs in with (cookie or any number of API tokens) and wherever the work arrives (REST,
/// hub, pages), so more tokens or connections never buy more work (docs/architecture.md §9).
/// </summary>
public sealed class RateLimits
{
    /// <summary>Labelling writes per user per minute.</summary>
    public int WritesPerMinute { get; set; } = 60;

    /// <summary>Jobs queued per user per minute.</summary>
    public int JobsPerMinute { get; set; } = 10;

    /// <summary>Model passes (test text, steering, ablation) per user per minute.</summary>
    public int ModelPassesPerMinute { get; set; } = 12;

    /// <summary>API tokens created per user per minute.</summary>
    public int TokensPerMinute { get; set; } = 5;

    /// <summary>Unrevoked API tokens one user may hold.</summary>
    public int MaxActiveTokensPerUser { get; set; } = 20;

    /// <summary>The log-in throttle.</summary>
    public LoginThrottleSettings Login { get; set; } = new();

    public int PerMinute(WorkKind kind) => Math.Max(1, kind switch
    {
        WorkKind.Write => WritesPerMinute,
        WorkKind.Job => JobsPerMinute,
        WorkKind.ModelPass => ModelPassesPerMinute,
        WorkKind.Token => TokensPerMinute,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    });
}

/// <summary>
/// <c>Workbench:RateLimits:Login</c>. Failed log-ins are counted per (client, account) and per client, never per account
/// alone, so a stranger who types wrong passwords for someone's name slows only themselves down.
/// </summary>
public sealed class LoginThrottleSettings
{
    /// <summary>Failures one client may make for one account before it must wait between attempts.</summary>
    public int FreeFailures { get; set; } = 5;

    /// <summary>The wait after the first failure beyond <see cref="FreeFailures"/>; it doubles with every further failure.</summary>
    public double FirstDelaySeconds { get; set; } = 2;

    /// <summary>The longest wait between two attempts of one client for one account.</summary>
    public double MaxDelaySeconds { get; set; } = 900;

    /// <summary>Failures one client may make over all accounts within <see cref="ClientWindowMinutes"/>.</summary>
    public int ClientFailuresPerWindow { get; set; } = 30;

    public double ClientWindowMinutes { get; set; } = 15;
}

/// <summary>A refusal because a per-user budget is spent: nothing was done; try again after <see cref="RetryAfter"/>.</summary>
public class RateLimitedException(WorkKind kind, TimeSpan retryAfter)
    : Exception($"Too many {Describe(kind)}: try again in {Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))} s.")
{
    public WorkKind Kind { get; } = kind;
    public TimeSpan RetryAfter { get; } = retryAfter;

    public static string Describe(WorkKind kind) => kind switch
    {
        WorkKind.Write => "writes",
        WorkKind.Job => "jobs",
        WorkKind.ModelPass => "model runs (test text, steering)",
        WorkKind.Token => "new API tokens",
        _ => "requests",
    };
}
