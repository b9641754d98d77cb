namespace SaeWorkbench.Data.Steering;

/// <summary>
/// A saved baseline-versus-intervened comparison: the full settings to re-run it exactly and the outputs,
/// with a permalink at /steering/{Id}.
/// </summary>
public class SteeringComparison
{
    public long Id { get; set; }
    public long DictionaryId { get; set; }
    public required string Title { get; set; }

    /// <summary>Lower-case tags separated by single spaces, for search.</summary>
    public string Tags { get; set; } = "";

    public required string AuthorId { get; set; }
    public string AuthorName { get; set; } = "";

    /// <summary>The prompt, copied out of the settings for search.</summary>
    public string Prompt { get; set; } = "";

    /// <summary>The run request as JSON: prompt, sampling options, seed, samples, interventions, positions.</summary>
    public string SettingsJson { get; set; } = "{}";

    /// <summary>The continuations, per-position top tokens and KL as JSON.</summary>
    public string OutputsJson { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>A latent a saved comparison intervenes on, so feature pages can list the comparisons that use it.</summary>
public class SteeringComparisonLatent
{
    public long Id { get; set; }
    public long ComparisonId { get; set; }
    public long DictionaryId { get; set; }
    public int LatentIndex { get; set; }
}

public enum SteeringEffect
{
    Unclear,
    Yes,
    No,
}

/// <summary>
/// A reviewer's judgement of a comparison. A blind review is created when the reviewer opens it, with the
/// order in which the two continuations are shown drawn at random and recorded; the guess and ratings complete it.
/// </summary>
public class SteeringReview
{
    public long Id { get; set; }
    public long ComparisonId { get; set; }
    public required string ReviewerId { get; set; }
    public string ReviewerName { get; set; } = "";

    public bool Blind { get; set; }

    /// <summary>The sample (pair of continuations) shown.</summary>
    public int Sample { get; set; }

    /// <summary>Blind: the intervened continuation was shown first (as "A").</summary>
    public bool InterventionShownFirst { get; set; }

    /// <summary>Blind: the reviewer said "A" (true) or "B" (false) is the intervened one; null until submitted.</summary>
    public bool? GuessedFirst { get; set; }

    /// <summary>Blind: the guess was right; null until submitted or when not blind.</summary>
    public bool? GuessCorrect { get; set; }

    public SteeringEffect? Effect { get; set; }

    /// <summary>1–5.</summary>
    public int? Coherence { get; set; }

    public string Comment { get; set; } = "";

    /// <summary>The sanitised HTML of <see cref="Comment"/>, rendered when submitted; null for rows from before, until the start-up backfill.</summary>
    public string? CommentHtml { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? SubmittedAt { get; set; }
}
