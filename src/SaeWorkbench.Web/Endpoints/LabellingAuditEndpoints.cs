using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Hosting;
using static SaeWorkbench.Web.Endpoints.OutcomeResults;

namespace SaeWorkbench.Web.Endpoints;

public static partial class LabellingEndpoints
{
    private static void MapAudit(RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").RequirePermission(WorkbenchAction.BrowseAudit).WithTags("Audit");
        audit.MapGet("/", QueryAudit).WithName("QueryAudit")
            .WithSummary("The audit log, newest first, filtered by user, action, entity and time range (Admin).");
        audit.MapGet("/export", ExportAudit).WithName("ExportAudit")
            .WithSummary("Every matching audit entry, oldest first, as CSV or JSON Lines (format=csv|jsonl; Admin).");
    }

    public static async Task<Results<Ok<Page<AuditRow>>, ValidationProblem, ProblemHttpResult>> QueryAudit(
        AuditQueryService audit, ClaimsPrincipal user, string? userId, string? action, string? entityType, string? entityId,
        DateTimeOffset? from, DateTimeOffset? to, int? skip, int? take, CancellationToken ct) =>
        Answer(await audit.QueryAsync(ActorOf(user), new AuditQuery(userId, action, entityType, entityId, from, to, skip ?? 0, take ?? 100), ct));

    public static Results<PushStreamHttpResult, ValidationProblem, ProblemHttpResult> ExportAudit(
        AuditQueryService audit, ClaimsPrincipal user, string? format, string? userId, string? action, string? entityType, string? entityId,
        DateTimeOffset? from, DateTimeOffset? to)
    {
        var actor = ActorOf(user);
        if (!Permissions.Can(actor.Role, WorkbenchAction.BrowseAudit))
            return Forbidden(actor.Role, WorkbenchAction.BrowseAudit);
        AuditExportFormat kind;
        switch ((format ?? "csv").ToLowerInvariant())
        {
            case "csv": kind = AuditExportFormat.Csv; break;
            case "jsonl": kind = AuditExportFormat.Jsonl; break;
            default:
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["format"] = ["The export format is csv or jsonl."] });
        }
        var query = new AuditQuery(userId, action, entityType, entityId, from, to);
        return TypedResults.Stream(async stream =>
            {
                await using var writer = new StreamWriter(stream, new UTF8Encoding(false));
                await audit.ExportAsync(actor, query, kind, writer);
            },
            kind == AuditExportFormat.Csv ? "text/csv; charset=utf-8" : "application/x-ndjson",
            kind == AuditExportFormat.Csv ? "audit.csv" : "audit.jsonl");
    }
}
