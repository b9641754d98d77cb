using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// Blind mode on the hub: an event about a latent's labelling goes to everyone unless the latent is blind; then only
/// to the users who may see its work now (<see cref="InterpretationVisibility.AudienceAsync"/>), decided per event from
/// their current roles — never from groups chosen when a connection opened, which a role change would not update.
/// </summary>
public sealed class BlindHubAudience(IDbContextFactory<WorkbenchDbContext> dbFactory)
{
    public async Task<IClientProxy> AudienceAsync(IHubClients clients, WorkbenchEvent e)
    {
        if (InterpretationVisibility.LatentOf(e) is not { } latentId) return clients.All;
        await using var db = await dbFactory.CreateDbContextAsync();
        return await InterpretationVisibility.AudienceAsync(db, latentId, CancellationToken.None) is { } users
            ? clients.Users(users)
            : clients.All;
    }
}
