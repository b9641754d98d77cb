using Microsoft.AspNetCore.SignalR;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// How soon a browser that stopped answering (asleep, off the network, frozen) leaves the presence list
/// (<c>Workbench:Presence</c>). A closed tab leaves at once; a silent one when its connection has sent nothing for
/// <see cref="TimeoutSeconds"/>: that is SignalR's client timeout on every hub, the Blazor circuit's included, and
/// browsers ping at <see cref="KeepAlive"/> so that a live page is never taken for a silent one.
/// </summary>
public sealed class PresenceOptions
{
    public const string Section = "Workbench:Presence";
    public const double MinSeconds = 1, MaxSeconds = 600;

    public double TimeoutSeconds { get; init; } = 30;

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    /// <summary>
    /// How often both ends ping: half the timeout, so one lost ping does not drop a live page, and at most 15 s
    /// (SignalR's default), so the browser's own 30 s server timeout always sees the server's pings.
    /// </summary>
    public TimeSpan KeepAlive => TimeSpan.FromSeconds(Math.Min(15, TimeoutSeconds / 2));

    /// <summary>The options in <paramref name="configuration"/>; a value outside the range stops the start with its setting's name.</summary>
    public static PresenceOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<PresenceOptions>() ?? new PresenceOptions();
        if (!(options.TimeoutSeconds is >= MinSeconds and <= MaxSeconds))
            throw new InvalidOperationException(
                $"{Section}:TimeoutSeconds is {options.TimeoutSeconds}; it must be between {MinSeconds} and {MaxSeconds} seconds.");
        return options;
    }

    /// <summary>The hub side: a connection silent for the timeout is closed (and its user leaves the list); the server pings at the keep-alive.</summary>
    public void ApplyTo(HubOptions hub)
    {
        hub.ClientTimeoutInterval = Timeout;
        hub.KeepAliveInterval = KeepAlive;
    }
}
