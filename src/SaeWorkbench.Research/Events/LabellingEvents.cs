namespace SaeWorkbench.Research.Events;

// Every labelling change reaches open pages and hub clients. Each event names the latent so
// a page showing that latent can refresh its panel; ids only, so nothing hidden leaks to other viewers.

/// <summary>An interpretation was written on a latent.</summary>
public sealed record InterpretationCreated(long LatentId, long InterpretationId, string AuthorId) : WorkbenchEvent
{
    public override string Name => "interpretationCreated";
}

/// <summary>An interpretation got a new version.</summary>
public sealed record InterpretationEdited(long LatentId, long InterpretationId, int Version, string EditorId) : WorkbenchEvent
{
    public override string Name => "interpretationEdited";
}

/// <summary>An Admin soft-deleted an interpretation.</summary>
public sealed record InterpretationDeleted(long LatentId, long InterpretationId, string DeletedById) : WorkbenchEvent
{
    public override string Name => "interpretationDeleted";
}

/// <summary>A vote was cast, changed or retracted; the interpretation's counters afterwards.</summary>
public sealed record VoteChanged(long LatentId, long InterpretationId, int Score, int UpVotes, int DownVotes) : WorkbenchEvent
{
    public override string Name => "voteChanged";
}

/// <summary>A comment was added to a latent or one of its interpretations.</summary>
public sealed record CommentAdded(long LatentId, long? InterpretationId, long CommentId, string AuthorId) : WorkbenchEvent
{
    public override string Name => "commentAdded";
}

/// <summary>A reviewer set an interpretation's review status.</summary>
public sealed record InterpretationReviewed(long LatentId, long InterpretationId, string Decision, string ReviewerId) : WorkbenchEvent
{
    public override string Name => "interpretationReviewed";
}

/// <summary>A latent's consensus moved (status, interpretation or label).</summary>
public sealed record ConsensusChanged(long LatentId, string Status, long? InterpretationId, string? Label) : WorkbenchEvent
{
    public override string Name => "consensusChanged";
}

/// <summary>A user got a notification (an @mention, a review of their interpretation).</summary>
public sealed record NotificationCreated(string UserId, long NotificationId, string Text, string? Link) : WorkbenchEvent
{
    public override string Name => "notification";
}
