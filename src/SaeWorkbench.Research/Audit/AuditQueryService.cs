using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Audit;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Audit;

/// <summary>Filters for the audit log; every one is optional. <paramref name="From"/> inclusive, <paramref name="To"/> exclusive.</summary>
public sealed record AuditQuery(
    string? UserId = null, string? Action = null, string? EntityType = null, string? EntityId = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null, int Skip = 0, int Take = 100);

public sealed record AuditRow(
    long Id, DateTimeOffset At, string? UserId, string? UserName, string Action, string EntityType, string EntityId,
    string? BeforeJson, string? AfterJson);

public sealed record AuditUser(string Id, string Name);

public sealed record AuditFacets(IReadOnlyList<string> Actions, IReadOnlyList<string> EntityTypes, IReadOnlyList<AuditUser> Users);

public enum AuditExportFormat
{
    Csv,
    Jsonl,
}

/// <summary>Admins browse, filter and export the audit log (newest first).</summary>
public sealed class AuditQueryService(IDbContextFactory<WorkbenchDbContext> factory)
{
    public const int MaxPageSize = 500;

    public async Task<Outcome<Page<AuditRow>>> QueryAsync(Actor actor, AuditQuery query, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.BrowseAudit))
            return Outcome<Page<AuditRow>>.Forbidden(actor.Role, WorkbenchAction.BrowseAudit);
        var take = Math.Clamp(query.Take, 1, MaxPageSize);
        var skip = Math.Max(query.Skip, 0);
        await using var db = await factory.CreateDbContextAsync(ct);
        var filtered = Filter(db, query);
        var total = await filtered.CountAsync(ct);
        var rows = await filtered.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Skip(skip).Take(take).ToListAsync(ct);
        return Outcome<Page<AuditRow>>.Ok(new Page<AuditRow>(rows.Select(ToRow).ToList(), total, skip, take));
    }

    /// <summary>The values the audit page's filters offer: the actions, entity types and users that occur in the log.</summary>
    public async Task<Outcome<AuditFacets>> FacetsAsync(Actor actor, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.BrowseAudit))
            return Outcome<AuditFacets>.Forbidden(actor.Role, WorkbenchAction.BrowseAudit);
        await using var db = await factory.CreateDbContextAsync(ct);
        var actions = await db.AuditLog.AsNoTracking().Select(a => a.Action).Distinct().OrderBy(a => a).ToListAsync(ct);
        var types = await db.AuditLog.AsNoTracking().Select(a => a.EntityType).Distinct().OrderBy(a => a).ToListAsync(ct);
        var users = await db.AuditLog.AsNoTracking().Where(a => a.UserId != null)
            .GroupBy(a => a.UserId!).Select(g => new { Id = g.Key, Name = g.Max(a => a.UserName) }).ToListAsync(ct);
        return Outcome<AuditFacets>.Ok(new AuditFacets(actions, types,
            users.Select(u => new AuditUser(u.Id, u.Name ?? u.Id)).OrderBy(u => u.Name, StringComparer.OrdinalIgnoreCase).ToList()));
    }

    /// <summary>Writes every matching entry (oldest first, ignoring Skip/Take) as CSV (RFC 4180) or JSON Lines.</summary>
    public async Task<Outcome<bool>> ExportAsync(Actor actor, AuditQuery query, AuditExportFormat format, TextWriter output, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.BrowseAudit))
            return Outcome<bool>.Forbidden(actor.Role, WorkbenchAction.BrowseAudit);
        await using var db = await factory.CreateDbContextAsync(ct);
        if (format == AuditExportFormat.Csv) await output.WriteLineAsync("id,at,userId,userName,action,entityType,entityId,before,after");
        await foreach (var entry in Filter(db, query).OrderBy(a => a.At).ThenBy(a => a.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            var row = ToRow(entry);
            await output.WriteLineAsync(format == AuditExportFormat.Csv ? CsvLine(row) : JsonSerializer.Serialize(row, AuditRecorder.Json));
        }
        await output.FlushAsync(ct);
        return Outcome<bool>.Ok(true);
    }

    private static IQueryable<AuditEntry> Filter(WorkbenchDbContext db, AuditQuery q)
    {
        var entries = db.AuditLog.AsNoTracking();
        if (!string.IsNullOrEmpty(q.UserId)) entries = entries.Where(a => a.UserId == q.UserId);
        if (!string.IsNullOrEmpty(q.Action)) entries = entries.Where(a => a.Action == q.Action);
        if (!string.IsNullOrEmpty(q.EntityType)) entries = entries.Where(a => a.EntityType == q.EntityType);
        if (!string.IsNullOrEmpty(q.EntityId)) entries = entries.Where(a => a.EntityId == q.EntityId);
        if (q.From is { } from) entries = entries.Where(a => a.At >= from);
        if (q.To is { } to) entries = entries.Where(a => a.At < to);
        return entries;
    }

    private static AuditRow ToRow(AuditEntry a) =>
        new(a.Id, a.At, a.UserId, a.UserName, a.Action, a.EntityType, a.EntityId, a.BeforeJson, a.AfterJson);

    private static string CsvLine(AuditRow r) => string.Join(',',
        r.Id.ToString(CultureInfo.InvariantCulture), r.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        Csv(r.UserId), Csv(r.UserName), Csv(r.Action), Csv(r.EntityType), Csv(r.EntityId), Csv(r.BeforeJson), Csv(r.AfterJson));

    /// <summary>RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it as a formula.</summary>
    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@') value = "'" + value;
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value) sb.Append(c == '"' ? "\"\"" : c.ToString());
        return sb.Append('"').ToString();
    }
}
