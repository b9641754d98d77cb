using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using SaeWorkbench.Research.Limits;
using SaeWorkbench.Web.Hosting;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// Services of the labelling REST API: token authentication, the per-user rate-limit policies and the OpenAPI document.
/// The policies draw on <see cref="UserRateLimiter"/>, the budgets the hub and the pages draw on too, keyed by the user
/// (never by token), with the numbers from <c>Workbench:RateLimits</c>.
/// </summary>
public static class LabellingApiServices
{
    /// <summary>Labelling writes (<see cref="WorkKind.Write"/>).</summary>
    public const string WritePolicy = "labelling-writes";

    public static WebApplicationBuilder AddLabellingApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddApiTokenAuthentication();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityScheme>());
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, ct) =>
            {
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var r) ? r : TimeSpan.FromMinutes(1);
                await WriteTooManyRequestsAsync(context.HttpContext, new RateLimitedException(WorkKind.Write, retry), ct);
            };
            o.AddPolicy(WritePolicy, http => Partition(http, WorkKind.Write));
        });
        return builder;
    }

    /// <summary>
    /// Turns a <see cref="RateLimitedException"/> thrown by a service (jobs, tokens, model runs) into 429 with Retry-After,
    /// so every endpoint answers a spent budget the same way and nothing was done.
    /// </summary>
    public static IApplicationBuilder UseRateLimitAnswers(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        try
        {
            await next(http);
        }
        catch (RateLimitedException e) when (!http.Response.HasStarted)
        {
            http.Response.Clear();
            await WriteTooManyRequestsAsync(http, e, http.RequestAborted);
        }
    });

    /// <summary>The one answer to a spent budget (<see cref="OutcomeResults.TooManyRequests"/>), outside the API groups too.</summary>
    private static Task WriteTooManyRequestsAsync(HttpContext http, RateLimitedException e, CancellationToken ct) =>
        OutcomeResults.TooManyRequests(e).ExecuteAsync(http);

    public static int RetryAfterSeconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

    /// <summary>One partition per user, whether the request came with the cookie or any of the user's tokens; anonymous callers by address.</summary>
    private static RateLimitPartition<string> Partition(HttpContext http, WorkKind kind)
    {
        var key = http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "ip:" + http.Connection.RemoteIpAddress;
        var limiter = http.RequestServices.GetRequiredService<UserRateLimiter>();
        return RateLimitPartition.Get(key, k => new UserBudgetLimiter(limiter, kind, k));
    }

    /// <summary>A <see cref="RateLimiter"/> over one user's budget in <see cref="UserRateLimiter"/> (never queues).</summary>
    private sealed class UserBudgetLimiter(UserRateLimiter budgets, WorkKind kind, string userKey) : RateLimiter
    {
        public override TimeSpan? IdleDuration => null;

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
            budgets.TryAcquire(kind, userKey, out var retry) ? Lease.Granted : new Lease(false, retry);

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            ValueTask.FromResult(AttemptAcquireCore(permitCount));

        private sealed class Lease(bool acquired, TimeSpan retryAfter) : RateLimitLease
        {
            public static readonly Lease Granted = new(true, TimeSpan.Zero);

            public override bool IsAcquired => acquired;

            public override IEnumerable<string> MetadataNames => acquired ? [] : [MetadataName.RetryAfter.Name];

            public override bool TryGetMetadata(string metadataName, out object? metadata)
            {
                metadata = !acquired && metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
                return metadata is not null;
            }
        }
    }
}
