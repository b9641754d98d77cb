using SaeWorkbench.Research.ScaleOut;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Web.Live;
using StackExchange.Redis;

namespace SaeWorkbench.Web.Hosting;

public static class ScaleOutHostExtensions
{
    /// <summary>
    /// This web node's identity; with <c>Workbench:Redis</c> set, the distributed event bus, the SignalR Redis backplane
    /// and presence shared across nodes.
    /// </summary>
    public static WebApplicationBuilder AddWorkbenchScaleOut(this WebApplicationBuilder builder, WorkbenchSettings settings)
    {
        builder.Services.AddWorkbenchScaleOut(settings, hostsHub: true);
        if (string.IsNullOrWhiteSpace(settings.Redis)) return builder;
        var configuration = ScaleOutServiceCollectionExtensions.ParseRedis(settings.Redis);
        builder.Services.AddSignalR().AddStackExchangeRedis(o =>
        {
            o.Configuration = configuration.Clone();
            o.Configuration.ChannelPrefix = RedisChannel.Literal("saeworkbench:signalr");
        });
        builder.Services.AddSingleton<RedisPresenceStore>();
        builder.Services.AddHostedService<PresenceRefresher>();
        return builder;
    }
}
