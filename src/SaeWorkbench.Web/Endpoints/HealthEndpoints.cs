using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Ml.Runtime;

namespace SaeWorkbench.Web.Endpoints;

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", GetHealth).AllowAnonymous().WithName("Health").WithSummary("Database, torch and device status.").WithTags("Health");
        return app;
    }

    public sealed record HealthReport(string Status, string Database, string? DatabaseError, string? TorchVersion, string? TorchBackend,
        IReadOnlyList<string> Devices, int Threads, string? TorchError);

    /// <summary>200 when the database answers and the native torch library loads; 503 with the reason otherwise.</summary>
    public static async Task<JsonHttpResult<HealthReport>> GetHealth(WorkbenchDbContext db, CancellationToken ct)
    {
        string? dbError = null;
        try
        {
            if (!await db.Database.CanConnectAsync(ct)) dbError = "cannot connect";
            else await db.Jobs.AnyAsync(ct);
        }
        catch (Exception e) { dbError = e.Message; }
        var torch = TorchRuntime.Probe();
        var healthy = dbError is null && torch.Loaded;
        var report = new HealthReport(healthy ? "healthy" : "unhealthy", dbError is null ? "ok" : "failed", dbError,
            torch.Info?.TorchSharpVersion, torch.Info?.Backend, torch.Info?.Devices ?? [], torch.Info?.Threads ?? Environment.ProcessorCount, torch.Error);
        return TypedResults.Json(report, statusCode: healthy ? 200 : 503);
    }
}
