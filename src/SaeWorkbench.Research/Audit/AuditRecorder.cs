using System.Text.Json;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Audit;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Audit;

/// <summary>
/// Adds the one audit entry of an accepted write to the same context (so it commits in the
/// same transaction as the change, or not at all).
/// </summary>
public static class AuditRecorder
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static AuditEntry Add(WorkbenchDbContext db, Actor actor, string action, string entityType, object entityId,
        object? before, object? after, DateTimeOffset at)
    {
        var entry = new AuditEntry
        {
            At = at,
            UserId = actor.UserId,
            UserName = actor.UserName,
            Action = action,
            EntityType = entityType,
            EntityId = Convert.ToString(entityId, System.Globalization.CultureInfo.InvariantCulture) ?? "",
            BeforeJson = before is null ? null : JsonSerializer.Serialize(before, Json),
            AfterJson = after is null ? null : JsonSerializer.Serialize(after, Json),
        };
        db.AuditLog.Add(entry);
        return entry;
    }
}
