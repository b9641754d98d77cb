namespace SaeWorkbench.Data.Crowd;

/// <summary>What a labelling scope was made from.</summary>
public enum ScopeKind
{
    /// <summary>Every latent of the dictionary.</summary>
    Dictionary,
    /// <summary>The latents a saved feature-list filter (a FeatureQuery URL string) matched when the scope was made.</summary>
    Filter,
    /// <summary>An explicit list of latent indices.</summary>
    List,
}

/// <summary>
/// A set of latents that a team labels through the queue, with its queue settings. Its latents are
/// fixed when it is made (<see cref="ScopeLatent"/>), so the queue, progress and agreement count the same set.
/// </summary>
public class LabellingScope
{
    public long Id { get; set; }
    public long DictionaryId { get; set; }
    public required string Name { get; set; }
    public ScopeKind Kind { get; set; }

    /// <summary>The FeatureQuery string of a Filter scope, or the indices of a List scope, as entered.</summary>
    public string? Definition { get; set; }

    /// <summary>Labellers see no one else's work on a latent of this scope until they submitted their own.</summary>
    public bool IsBlind { get; set; }

    /// <summary>N: how many different people label each latent.</summary>
    public int LabelsPerLatent { get; set; } = 1;

    public int ClaimMinutes { get; set; } = Labelling.WorkspaceSettings.DefaultClaimMinutes;

    /// <summary>The queue priority (the Research layer's QueuePriority as a number).</summary>
    public int Priority { get; set; }

    public bool IncludeDeadLatents { get; set; }

    /// <summary>What the scope's makers ask of its labellers (plain text, shown beside the queue's form); optional.</summary>
    public string? Guidelines { get; set; }

    public required string CreatedById { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public bool IsArchived { get; set; }
}

/// <summary>A latent belonging to a scope.</summary>
public class ScopeLatent
{
    public long ScopeId { get; set; }
    public long LatentId { get; set; }
}

/// <summary>
/// Someone's hold on a latent of a scope until <see cref="ExpiresAt"/>. Unique per (scope, latent, user) and per
/// (scope, latent, slot) with 0 ≤ slot &lt; N: the slot index is what makes claiming atomic on any database — two
/// writers racing for the last free slot insert the same (scope, latent, slot) and the second one fails.
/// A claim whose holder has labelled the latent keeps its slot.
/// </summary>
public class QueueClaim
{
    public long Id { get; set; }
    public long ScopeId { get; set; }
    public long LatentId { get; set; }
    public required string UserId { get; set; }
    public int Slot { get; set; }
    public DateTimeOffset ClaimedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>A latent someone skipped in a scope, with why (unique per scope, latent and user).</summary>
public class QueueSkip
{
    public long Id { get; set; }
    public long ScopeId { get; set; }
    public long LatentId { get; set; }
    public required string UserId { get; set; }
    public required string Reason { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// One rater's detection rating of one interpretation (unique per rater and interpretation): the
/// contexts they were shown, made when they opened it, and their marks once they submitted.
/// </summary>
public class DetectionSession
{
    public long Id { get; set; }
    public long InterpretationId { get; set; }
    public required string RaterId { get; set; }

    /// <summary>The seed that ordered the contexts.</summary>
    public long Seed { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>Null until the rater submitted their marks.</summary>
    public DateTimeOffset? SubmittedAt { get; set; }

    public int TruePositives { get; set; }
    public int FalsePositives { get; set; }
    public int TrueNegatives { get; set; }
    public int FalseNegatives { get; set; }
}

/// <summary>One context shown in a detection session, in display order.</summary>
public class DetectionContext
{
    public long Id { get; set; }
    public long SessionId { get; set; }
    public int Position { get; set; }

    /// <summary>int32 LE token ids of the context.</summary>
    public byte[] TokenIds { get; set; } = [];

    /// <summary>Whether the latent fires in it (never sent to the rater).</summary>
    public bool IsActivating { get; set; }

    /// <summary>The stored example it was taken from.</summary>
    public long SourceExampleId { get; set; }

    /// <summary>Activation-interval bin of an activating context; -1 for non-activating ones.</summary>
    public int Bin { get; set; }

    /// <summary>The rater's mark: null before submission.</summary>
    public bool? MarkedAsMatching { get; set; }
}
