using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Crowd;

/// <summary>A scope as the Labelling page and the API show it.</summary>
public sealed record ScopeView(
    long Id, long DictionaryId, string Name, string Kind, string? Definition, bool IsBlind, int LabelsPerLatent,
    int ClaimMinutes, QueuePriority Priority, bool IncludeDeadLatents, int Latents, string CreatedById, DateTimeOffset CreatedAt,
    string? Guidelines = null);

/// <summary>What an Admin (or Reviewer) asks for when making a scope.</summary>
/// <param name="Kind">Dictionary, Filter or List.</param>
/// <param name="Definition">Filter: a feature-list query string (<c>?status=Unlabelled&amp;dead=false</c>); List: indices "1, 4, 9-12".</param>
/// <param name="Guidelines">What the scope asks of its labellers (plain text, up to 4,000 characters), shown beside the queue's form.</param>
public sealed record ScopeRequest(
    long DictionaryId, string? Name, string Kind, string? Definition, bool IsBlind, int LabelsPerLatent = 1,
    int ClaimMinutes = Data.Labelling.WorkspaceSettings.DefaultClaimMinutes, QueuePriority Priority = QueuePriority.HighestActivationFirst, bool IncludeDeadLatents = false,
    string? Guidelines = null);

/// <summary>The latent handed out by "Label next", and until when the caller holds it.</summary>
public sealed record QueueAssignment(long ScopeId, long LatentId, long DictionaryId, int LatentIndex, DateTimeOffset ExpiresAt);

/// <summary>The answer of "Label next": a latent, or null when the scope has nothing left for the caller.</summary>
public sealed record QueueNext(QueueAssignment? Assignment, QueueProgress Progress);

/// <summary>One person's row of a scope's progress.</summary>
public sealed record PersonProgress(string UserId, string? UserName, int Labelled, int Skipped, int Remaining);

/// <summary>Progress per scope (latents with N labels, some, none) and per person.</summary>
public sealed record ScopeProgressView(long ScopeId, int LabelsPerLatent, ScopeProgress Scope, IReadOnlyList<PersonProgress> People);

public sealed record SkipRequest(long LatentId, string? Reason);

/// <summary>
/// The queue page on opening, before anything is claimed: <see cref="Held"/> is the caller's unexpired claim (a reload),
/// else <see cref="Next"/> is the latent "Start" would most likely claim (its ExpiresAt is when such a claim would end).
/// </summary>
/// <param name="DenseLeftOut">Latents the caller would also be handed if dense latents were included.</param>
/// <param name="DenseThreshold">Density above which a latent counts as dense (a fraction).</param>
public sealed record QueueLook(QueueAssignment? Held, QueueAssignment? Next, QueueProgress Progress, int DenseLeftOut, double DenseThreshold);

/// <summary>One of the caller's interpretations in a scope ("my submissions").</summary>
/// <param name="ReviewStatus">Pending, Accepted or Rejected.</param>
public sealed record QueueSubmission(
    long InterpretationId, long LatentId, long DictionaryId, int LatentIndex, string Label, string Description, string? Tag, int Confidence,
    int Version, string ReviewStatus, string? ReviewReason, DateTimeOffset CreatedAt);

/// <summary>An interpretation awaiting review, as the reviewer queue shows it.</summary>
public sealed record ReviewQueueItem(
    long InterpretationId, long LatentId, long DictionaryId, int LatentIndex, string AuthorId, string? AuthorName, string Label,
    string DescriptionHtml, string? Tag, int Confidence, int Score, DateTimeOffset CreatedAt);

/// <summary>A reviewer's decision from the reviewer queue.</summary>
/// <param name="Decision">Accepted or Rejected.</param>
public sealed record QueueReviewRequest(string Decision, string? Reason);

/// <summary>"Back" from the queue: the edited interpretation and the version it was based on.</summary>
public sealed record SubmissionEditRequest(int BaseVersion, string? Label, string? Description, int Confidence, string? Tag);
