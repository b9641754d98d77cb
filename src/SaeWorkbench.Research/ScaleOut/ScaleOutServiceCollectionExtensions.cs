using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Settings;
using StackExchange.Redis;

namespace SaeWorkbench.Research.ScaleOut;

public static class ScaleOutServiceCollectionExtensions
{
    /// <summary>
    /// This node's identity and, when <c>Workbench:Redis</c> is set, the Redis connection and the distributed event
    /// bus. Web nodes pass <paramref name="hostsHub"/> = true; workers false.
    /// </summary>
    public static IServiceCollection AddWorkbenchScaleOut(this IServiceCollection services, WorkbenchSettings settings, bool hostsHub)
    {
        services.TryAddSingleton(new WorkbenchNode(hostsHub));
        if (string.IsNullOrWhiteSpace(settings.Redis)) return services;
        var configuration = ParseRedis(settings.Redis);
        services.TryAddSingleton<IConnectionMultiplexer>(sp =>
        {
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("SaeWorkbench.Redis");
            try { return ConnectionMultiplexer.Connect(configuration); }
            catch (RedisConnectionException e)
            {
                log.LogCritical(e, "Cannot connect to Redis at {Redis}", settings.Redis);
                throw new InvalidOperationException($"Workbench:Redis is '{settings.Redis}' but Redis cannot be reached there: {e.Message}", e);
            }
        });
        services.AddHostedService<RedisEventRelay>();
        return services;
    }

    /// <summary>Parses <c>Workbench:Redis</c>; a bad value fails at start with a message naming the setting.</summary>
    public static ConfigurationOptions ParseRedis(string value)
    {
        try
        {
            var options = ConfigurationOptions.Parse(value);
            options.AbortOnConnectFail = true;
            options.ClientName = "saeworkbench";
            return options;
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Workbench:Redis '{value}' is not a valid Redis configuration: {e.Message}", e);
        }
    }

    /// <summary>The job runner for a worker process: its name and capabilities, then the runner itself.</summary>
    public static IServiceCollection AddJobWorker(this IServiceCollection services, JobWorkerIdentity identity)
    {
        services.AddSingleton(identity);
        return services.AddJobRunner();
    }
}
