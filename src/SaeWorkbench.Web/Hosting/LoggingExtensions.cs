using System.Diagnostics;

namespace SaeWorkbench.Web.Hosting;

public static class LoggingExtensions
{
    /// <summary>Structured console logs: one line per entry with scopes (request id, job id).</summary>
    public static WebApplicationBuilder AddWorkbenchLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        if (builder.Configuration.GetValue("Workbench:JsonLogs", false))
            builder.Logging.AddJsonConsole(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; });
        else
            builder.Logging.AddSimpleConsole(o => { o.IncludeScopes = true; o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; o.UseUtcTimestamp = true; });
        return builder;
    }

    /// <summary>Puts the request id in the log scope of everything a request does, and in the response header.</summary>
    public static IApplicationBuilder UseWorkbenchRequestLogging(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("SaeWorkbench.Requests");
        var requestId = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
        context.Response.Headers["X-Request-Id"] = requestId;
        using (logger.BeginScope(new SaeWorkbench.Research.Diagnostics.LogScope(("RequestId", requestId))))
        {
            await next();
        }
    });
}
