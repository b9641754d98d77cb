using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SaeWorkbench.Web.Hosting;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>Workbench:RateLimits — writes per token (or per signed-in user without a token) per minute.</summary>
public sealed class LabellingRateLimits
{
    public int WritesPerMinute { get; set; } = 60;
}

/// <summary>Services of the labelling REST API: token authentication, the per-token write limit and the OpenAPI document.</summary>
public static class LabellingApiServices
{
    public const string WritePolicy = "labelling-writes";

    public static WebApplicationBuilder AddLabellingApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddApiTokenAuthentication();
        builder.Services.Configure<LabellingRateLimits>(builder.Configuration.GetSection("Workbench:RateLimits"));
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityScheme>());
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, _) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)) : 60;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return ValueTask.CompletedTask;
            };
            o.AddPolicy(WritePolicy, http =>
            {
                var limit = http.RequestServices.GetRequiredService<IOptions<LabellingRateLimits>>().Value.WritesPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter(PartitionKey(http), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = Math.Max(1, limit),
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
        });
        return builder;
    }

    /// <summary>One bucket per API token; cookie sessions share their user's bucket; anonymous callers their address's.</summary>
    private static string PartitionKey(HttpContext http) =>
        http.User.FindFirstValue(ApiTokenAuthentication.TokenIdClaim) is { } token ? "token:" + token
        : http.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } user ? "user:" + user
        : "ip:" + http.Connection.RemoteIpAddress;
}
