using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace SaeWorkbench.Web.Live;

/// <summary>A signed-in user's open page (circuit) counts as being online while its connection is up.</summary>
public sealed class PresenceCircuitHandler(PresenceTracker presence, AuthenticationStateProvider auth) : CircuitHandler
{
    private string? _userName;

    public override async Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        var state = await auth.GetAuthenticationStateAsync();
        _userName = state.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null;
        if (_userName is not null) presence.Connected(_userName, "circuit:" + circuit.Id);
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_userName is not null) presence.Disconnected(_userName, "circuit:" + circuit.Id);
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_userName is not null) presence.Disconnected(_userName, "circuit:" + circuit.Id);
        return Task.CompletedTask;
    }
}

public static class LiveExtensions
{
    public static IServiceCollection AddWorkbenchLive(this IServiceCollection services, PresenceOptions presence)
    {
        services.AddSingleton(presence);
        services.AddSignalR(presence.ApplyTo);
        services.AddSingleton<PresenceTracker>();
        services.AddSingleton<LatentPresence>();
        services.AddSingleton<BlindHubAudience>();
        services.AddHostedService<HubEventForwarder>();
        services.AddScoped<CircuitHandler, PresenceCircuitHandler>();
        return services;
    }
}
