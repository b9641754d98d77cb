using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Crowd;

/// <summary>A scope as the Labelling page and the API show it.</summary>
public sealed record ScopeView(
    long Id, long DictionaryId, string Name, string Kind, string? Definition, bool IsBlind, int LabelsPerLatent,
    int ClaimMinutes, QueuePriority Priority, bool IncludeDeadLatents, int Latents, string CreatedById, DateTimeOffset CreatedAt);

/// <summary>What an Admin (or Reviewer) asks for when making a scope.</summary>
/// <param name="Kind">Dictionary, Filter or List.</param>
/// <param name="Definition">Filter: a feature-list query string (<c>?status=Unlabelled&amp;dead=false</c>); List: indices "1, 4, 9-12".</param>
public sealed record ScopeRequest(
    long DictionaryId, string? Name, string Kind, string? Definition, bool IsBlind, int LabelsPerLatent = 1,
    int ClaimMinutes = 15, QueuePriority Priority = QueuePriority.MostActiveFirst, bool IncludeDeadLatents = false);

/// <summary>The latent handed out by "Label next", and until when the caller holds it.</summary>
public sealed record QueueAssignment(long ScopeId, long LatentId, long DictionaryId, int LatentIndex, DateTimeOffset ExpiresAt);

/// <summary>The answer of "Label next": a latent, or null when the scope has nothing left for the caller.</summary>
public sealed record QueueNext(QueueAssignment? Assignment, QueueProgress Progress);

/// <summary>One person's row of a scope's progress.</summary>
public sealed record PersonProgress(string UserId, string? UserName, int Labelled, int Skipped, int Remaining);

/// <summary>Progress per scope (latents with N labels, some, none) and per person.</summary>
public sealed record ScopeProgressView(long ScopeId, int LabelsPerLatent, ScopeProgress Scope, IReadOnlyList<PersonProgress> People);

public sealed record SkipRequest(long LatentId, string? Reason);
