namespace SaeWorkbench.Data.Labelling;

public enum ReviewDecision
{
    None,
    Accepted,
    Rejected,
}

/// <summary>A person's reading of what a latent means. Every edit adds an <see cref="InterpretationVersion"/>.</summary>
public class Interpretation
{
    public long Id { get; set; }
    public long LatentId { get; set; }
    public required string AuthorId { get; set; }

    /// <summary>Short label, 1–120 characters.</summary>
    public required string Label { get; set; }

    /// <summary>Markdown source.</summary>
    public string Description { get; set; } = "";

    /// <summary>
    /// The sanitised HTML of <see cref="Description"/>, rendered once when it is written (rendering on every read let one
    /// costly text cost every viewer); null only for rows written before it existed, until the start-up backfill.
    /// </summary>
    public string? DescriptionHtml { get; set; }

    /// <summary>Tag from the workspace taxonomy, or null.</summary>
    public string? Tag { get; set; }

    /// <summary>1–5.</summary>
    public int Confidence { get; set; } = 3;

    /// <summary>Sum of vote values, updated in the same transaction as each vote row.</summary>
    public int Score { get; set; }

    public int UpVotes { get; set; }
    public int DownVotes { get; set; }

    public ReviewDecision Review { get; set; }
    public string? ReviewerId { get; set; }
    public string? ReviewReason { get; set; }
    public DateTimeOffset? ReviewedAt { get; set; }

    /// <summary>Human detection score (balanced accuracy over all ratings), null until rated.</summary>
    public double? DetectionScore { get; set; }

    public int DetectionRatings { get; set; }

    /// <summary>The model that wrote it, for a machine explanation (its author is that model's account); null for a person's.</summary>
    public string? ExplanationModelName { get; set; }

    /// <summary>Incremented on every edit; the concurrency token that turns a second simultaneous save into a conflict.</summary>
    public int Version { get; set; } = 1;

    public bool IsDeleted { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
    public string? DeletedById { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>An interpretation as it was after one edit (version 1 is the original).</summary>
public class InterpretationVersion
{
    public long Id { get; set; }
    public long InterpretationId { get; set; }
    public int Version { get; set; }
    public required string Label { get; set; }
    public string Description { get; set; } = "";

    /// <summary>The sanitised HTML of <see cref="Description"/>, rendered when written (see <see cref="Interpretation.DescriptionHtml"/>).</summary>
    public string? DescriptionHtml { get; set; }
    public string? Tag { get; set; }
    public int Confidence { get; set; }
    public required string EditedById { get; set; }
    public DateTimeOffset EditedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>+1 or −1 by one user on one interpretation (unique per pair).</summary>
public class Vote
{
    public long Id { get; set; }
    public long InterpretationId { get; set; }
    public required string UserId { get; set; }
    public int Value { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>A Markdown comment on a latent or on one of its interpretations.</summary>
public class Comment
{
    public long Id { get; set; }
    public long LatentId { get; set; }
    public long? InterpretationId { get; set; }
    public required string AuthorId { get; set; }
    public required string Body { get; set; }

    /// <summary>The sanitised HTML of <see cref="Body"/>, rendered when written (see <see cref="Interpretation.DescriptionHtml"/>).</summary>
    public string? BodyHtml { get; set; }

    public bool IsDeleted { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>An in-app notification (an @mention, a review of your interpretation …).</summary>
public class Notification
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string Text { get; set; }
    public string? Link { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? ReadAt { get; set; }
}

/// <summary>Workspace-wide labelling settings (one row).</summary>
public class WorkspaceSettings
{
    /// <summary>
    /// Minutes a labeller holds a claimed latent before the queue hands it to someone else: the one default of the
    /// workspace, of every labelling scope and of the seeded settings row (the Research queue policy reads it too).
    /// </summary>
    public const int DefaultClaimMinutes = 15;

    public int Id { get; set; } = 1;

    /// <summary>Tags, as a JSON array of strings, in display order (keys 1–7 pick them in the queue).</summary>
    public string TaxonomyJson { get; set; } = "[]";

    /// <summary>Score an interpretation needs to become the consensus without review.</summary>
    public int ConsensusThreshold { get; set; } = 1;

    /// <summary>How many different people label each latent in the queue.</summary>
    public int LabelsPerLatent { get; set; } = 1;

    public int ClaimMinutes { get; set; } = DefaultClaimMinutes;

    /// <summary>Whether machine explanations can become a latent's consensus (docs/science.md §13).</summary>
    public bool CountMachineInterpretations { get; set; } = true;
}

/// <summary>A personal API token. Only its SHA-256 is stored; the token itself is shown once.</summary>
public class ApiToken
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string Name { get; set; }

    /// <summary>First characters of the token, to tell tokens apart in the UI.</summary>
    public required string Prefix { get; set; }

    public required string Sha256 { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
