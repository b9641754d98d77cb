namespace SaeWorkbench.Data.Audit;

/// <summary>One accepted write: who, when, what, and the values before and after (JSON).</summary>
public class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; } = DateTimeOffset.UtcNow;
    public string? UserId { get; set; }

    /// <summary>User name at the time (kept if the account is later renamed or removed).</summary>
    public string? UserName { get; set; }

    /// <summary>e.g. "interpretation.create", "vote.change", "review.accept", "user.role".</summary>
    public required string Action { get; set; }

    public required string EntityType { get; set; }
    public required string EntityId { get; set; }
    public string? BeforeJson { get; set; }
    public string? AfterJson { get; set; }
}
