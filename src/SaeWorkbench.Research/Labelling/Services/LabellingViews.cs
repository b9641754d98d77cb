namespace SaeWorkbench.Research.Labelling.Services;

/// <summary>A latent's consensus as the list, the feature page, the API and the export show it.</summary>
public sealed record ConsensusView(string Status, long? InterpretationId, string? Label, string? Tag);

/// <param name="MyVote">The caller's vote (+1/−1), null when none.</param>
/// <param name="ReviewStatus">Pending, Accepted or Rejected.</param>
public sealed record InterpretationView(
    long Id, long LatentId, string AuthorId, string? AuthorName, string Label, string Description, string DescriptionHtml,
    string? Tag, int Confidence, int Score, int UpVotes, int DownVotes, int? MyVote, string ReviewStatus, string? ReviewReason,
    string? ReviewerId, DateTimeOffset? ReviewedAt, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <param name="EditedByName">The editor's user name, as <see cref="InterpretationView.AuthorName"/>; null when the account is gone.</param>
public sealed record VersionView(
    int Version, string Label, string Description, string DescriptionHtml, string? Tag, int Confidence, string EditedById,
    string? EditedByName, DateTimeOffset EditedAt);

public sealed record CommentView(
    long Id, long LatentId, long? InterpretationId, string AuthorId, string? AuthorName, string Body, string BodyHtml, DateTimeOffset CreatedAt);

/// <summary>Everything the labelling panel of one latent shows.</summary>
public sealed record LatentLabelling(
    long LatentId, long DictionaryId, int Index, ConsensusView Consensus,
    IReadOnlyList<InterpretationView> Interpretations, IReadOnlyList<CommentView> Comments);

public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int Skip, int Take);

/// <summary>What a vote request did and where the interpretation's counters stand afterwards.</summary>
/// <param name="Kind">Cast, Changed, Retracted or Unchanged (nothing written, nothing audited).</param>
public sealed record VoteOutcome(long InterpretationId, string Kind, int? MyVote, int Score, int UpVotes, int DownVotes);

/// <summary>Applied (a new version) or Unchanged (identical text, nothing written).</summary>
public sealed record EditOutcomeView(string Outcome, InterpretationView Interpretation);

/// <param name="Decision">Pending, Accepted or Rejected.</param>
public sealed record ReviewRequest(string Decision, string? Reason);

public sealed record CommentRequest(string? Body, long? InterpretationId);
