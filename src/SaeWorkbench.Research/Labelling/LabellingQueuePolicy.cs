using SaeWorkbench.Research.Features;

namespace SaeWorkbench.Research.Labelling;

/// <summary>Someone's hold on a latent in the queue, until <see cref="ExpiresAt"/> (exclusive).</summary>
public sealed record LatentClaim(string UserId, DateTimeOffset ExpiresAt);

/// <summary>A latent of the chosen scope as the queue sees it (plain data from the database layer).</summary>
/// <param name="Density">Fraction of tokens on which it fires.</param>
/// <param name="LabelledBy">Users who have an interpretation of it (not deleted).</param>
/// <param name="SkippedBy">Users who skipped it.</param>
public sealed record QueueCandidate(
    int LatentIndex,
    bool IsAlive,
    double MaxActivation,
    double Density,
    IReadOnlyCollection<string> LabelledBy,
    IReadOnlyCollection<LatentClaim> Claims,
    IReadOnlyCollection<string> SkippedBy);

public enum QueuePriority
{
    /// <summary>Highest activation density first, then highest max activation.</summary>
    MostActiveFirst = 0,
    /// <summary>
    /// Highest max activation first, then highest density: the default for new scopes. Among alive, non-dense latents
    /// the strongest peak is the one whose top contexts most clearly show what it detects, where the densest latents
    /// (handed out first by <see cref="MostActiveFirst"/>) fire on a large share of all tokens and are the hardest to name.
    /// </summary>
    HighestActivationFirst = 1,
    /// <summary>Latent index order.</summary>
    ByIndex = 2,
}

/// <summary>A workspace's queue settings.</summary>
/// <param name="LabelsPerLatent">N: how many different people label each latent.</param>
/// <param name="ClaimDuration">How long a handed-out latent is held; null means 15 minutes.</param>
/// <param name="IncludeDenseLatents">Hand out latents denser than <see cref="LabellingQueuePolicy.DenseThreshold"/> too
/// (left out unless the labeller asks for them).</param>
public sealed record QueueSettings(
    int LabelsPerLatent = 1,
    QueuePriority Priority = QueuePriority.MostActiveFirst,
    bool IncludeDeadLatents = false,
    TimeSpan? ClaimDuration = null,
    bool IncludeDenseLatents = false)
{
    public TimeSpan EffectiveClaimDuration => ClaimDuration ?? LabellingQueuePolicy.DefaultClaimDuration;
}

/// <summary>One person's progress through a scope.</summary>
/// <param name="Remaining">Latents they have neither labelled nor skipped that still need labels.</param>
public sealed record QueueProgress(int Labelled, int Skipped, int Remaining);

/// <summary>A scope's progress: latents with N labels, with some, with none.</summary>
public sealed record ScopeProgress(int Complete, int Partial, int Untouched)
{
    public int Total => Complete + Partial + Untouched;
}

/// <summary>
/// The pure part of "Label next": which latent a user is handed. The database layer
/// claims the first latent of <see cref="Eligible"/> atomically and re-checks <see cref="IsEligible"/>
/// inside that transaction. A latent is eligible for a user when it is alive (unless the workspace
/// includes dead latents), the user has neither labelled nor skipped it, and fewer than N distinct
/// people have labelled it or hold an unexpired claim on it (the user's own claim aside). So with
/// N = 1 a claimed latent goes to nobody else until the claim expires; with N = 2 it goes to a
/// second person but never a third. A user's own unexpired claim comes first, so reloading the queue
/// hands back the latent they were working on. Skipping should also release the user's claim.
/// Dense latents (density above <see cref="DenseThreshold"/>) are left out unless the settings include them: they fire
/// on so many tokens that their contexts rarely show one thing, and the queue would otherwise start with them.
/// </summary>
public static class LabellingQueuePolicy
{
    public static readonly TimeSpan DefaultClaimDuration = TimeSpan.FromMinutes(Data.Labelling.WorkspaceSettings.DefaultClaimMinutes);

    /// <summary>
    /// The density above which a latent counts as dense: the feature list's own threshold (docs/science.md §3), read
    /// from <see cref="FeatureQuery"/> so that the list's "dense" filter and the queue never disagree.
    /// </summary>
    public static double DenseThreshold { get; } = new FeatureQuery().DenseThreshold;

    /// <summary>Whether the queue counts the latent as dense.</summary>
    public static bool IsDense(QueueCandidate candidate) => candidate.Density > DenseThreshold;

    public const int MaxLabelsPerLatent = 10;
    public const int MaxSkipReasonLength = 500;

    /// <summary>Reasons the skip dialog offers; free text is also accepted.</summary>
    public static readonly IReadOnlyList<string> SuggestedSkipReasons =
    [
        "No pattern I can see",
        "Too few examples to judge",
        "Outside my expertise",
        "Duplicate of another latent",
    ];

    /// <summary>The latent to hand <paramref name="userId"/> next, or null when the scope is done for them.</summary>
    public static QueueCandidate? Next(IEnumerable<QueueCandidate> candidates, string userId, QueueSettings settings, DateTimeOffset now) =>
        Eligible(candidates, userId, settings, now).FirstOrDefault();

    /// <summary>Every latent the user may be handed, in hand-out order: their own unexpired claim
    /// first, then by the workspace priority, then by latent index.</summary>
    public static IReadOnlyList<QueueCandidate> Eligible(IEnumerable<QueueCandidate> candidates, string userId, QueueSettings settings, DateTimeOffset now)
    {
        ThrowIfInvalid(settings);
        var eligible = candidates.Where(c => IsEligible(c, userId, settings, now));
        var ordered = eligible.OrderByDescending(c => c.Claims.Any(claim => IsActive(claim, now) && claim.UserId == userId));
        ordered = settings.Priority switch
        {
            QueuePriority.MostActiveFirst => ordered.ThenByDescending(c => c.Density).ThenByDescending(c => c.MaxActivation),
            QueuePriority.HighestActivationFirst => ordered.ThenByDescending(c => c.MaxActivation).ThenByDescending(c => c.Density),
            _ => ordered,
        };
        return ordered.ThenBy(c => c.LatentIndex).ToList();
    }

    public static bool IsEligible(QueueCandidate candidate, string userId, QueueSettings settings, DateTimeOffset now)
    {
        if (!candidate.IsAlive && !settings.IncludeDeadLatents) return false;
        if (!settings.IncludeDenseLatents && IsDense(candidate)) return false;
        if (candidate.LabelledBy.Contains(userId) || candidate.SkippedBy.Contains(userId)) return false;
        var others = candidate.Claims
            .Where(c => IsActive(c, now) && c.UserId != userId)
            .Select(c => c.UserId)
            .Concat(candidate.LabelledBy)
            .ToHashSet(StringComparer.Ordinal);
        return others.Count < settings.LabelsPerLatent;
    }

    /// <summary>When a claim made at <paramref name="now"/> expires.</summary>
    public static DateTimeOffset ClaimExpiresAt(DateTimeOffset now, QueueSettings settings) => now + settings.EffectiveClaimDuration;

    public static bool IsActive(LatentClaim claim, DateTimeOffset now) => claim.ExpiresAt > now;

    /// <summary>
    /// Labelled and skipped count every alive latent; remaining counts only what the queue would hand out (so dense
    /// latents left out are not "remaining").
    /// </summary>
    public static QueueProgress ProgressFor(IEnumerable<QueueCandidate> candidates, string userId, QueueSettings settings)
    {
        ThrowIfInvalid(settings);
        int labelled = 0, skipped = 0, remaining = 0;
        foreach (var c in candidates.Where(c => c.IsAlive || settings.IncludeDeadLatents))
        {
            if (c.LabelledBy.Contains(userId)) labelled++;
            else if (c.SkippedBy.Contains(userId)) skipped++;
            else if (c.LabelledBy.Distinct().Count() < settings.LabelsPerLatent && (settings.IncludeDenseLatents || !IsDense(c))) remaining++;
        }
        return new QueueProgress(labelled, skipped, remaining);
    }

    /// <summary>Labelled latents count whatever their density; untouched dense latents count only when included.</summary>
    public static ScopeProgress ProgressOf(IEnumerable<QueueCandidate> candidates, QueueSettings settings)
    {
        ThrowIfInvalid(settings);
        int complete = 0, partial = 0, untouched = 0;
        foreach (var c in candidates.Where(c => c.IsAlive || settings.IncludeDeadLatents))
        {
            var labellers = c.LabelledBy.Distinct().Count();
            if (labellers >= settings.LabelsPerLatent) complete++;
            else if (labellers > 0) partial++;
            else if (settings.IncludeDenseLatents || !IsDense(c)) untouched++;
        }
        return new ScopeProgress(complete, partial, untouched);
    }

    /// <summary>The rule for settings an Admin saves: N from 1 to 10, a claim from 1 minute to 24 hours.</summary>
    public static ValidationResult ValidateSettings(QueueSettings settings)
    {
        var result = ValidationResult.Valid;
        if (settings.LabelsPerLatent is < 1 or > MaxLabelsPerLatent)
            result = ValidationResult.Fail("labelsPerLatent", $"Labels per latent is a whole number from 1 to {MaxLabelsPerLatent}; got {settings.LabelsPerLatent}.");
        var duration = settings.EffectiveClaimDuration;
        if (duration < TimeSpan.FromMinutes(1) || duration > TimeSpan.FromHours(24))
            result = result.And(ValidationResult.Fail("claimDuration", $"A claim lasts from 1 minute to 24 hours; got {duration}."));
        if (!Enum.IsDefined(settings.Priority))
            result = result.And(ValidationResult.Fail("priority", $"Unknown queue priority {(int)settings.Priority}."));
        return result;
    }

    /// <summary>"skip with a reason": required, 1–500 characters.</summary>
    public static ValidationResult ValidateSkipReason(string? reason)
    {
        var trimmed = reason?.Trim() ?? "";
        if (trimmed.Length == 0) return ValidationResult.Fail("reason", "Say why you are skipping this latent.");
        if (trimmed.Length > MaxSkipReasonLength)
            return ValidationResult.Fail("reason", $"The reason is {trimmed.Length} characters; the limit is {MaxSkipReasonLength}.");
        return TextRules.FirstForbiddenInMultiline(trimmed) is { } bad
            ? ValidationResult.Fail("reason", $"The reason contains {bad}.")
            : ValidationResult.Valid;
    }

    /// <summary>
    /// How many latents the user would also be handed if dense latents were included (what "dense latents are left
    /// out" on the queue page counts).
    /// </summary>
    public static int DenseLeftOut(IEnumerable<QueueCandidate> candidates, string userId, QueueSettings settings, DateTimeOffset now) =>
        settings.IncludeDenseLatents ? 0
        : candidates.Count(c => IsDense(c) && IsEligible(c, userId, settings with { IncludeDenseLatents = true }, now));

    private static void ThrowIfInvalid(QueueSettings settings)
    {
        var validation = ValidateSettings(settings);
        if (!validation.IsValid) throw new ArgumentException(validation.ToString(), nameof(settings));
    }
}
