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
    /// <summary>
    /// The clients to send <paramref name="e"/> to: <paramref name="everyone"/> (all clients, or this node's for a
    /// worker's event), unless it is about a blind latent; then only the users who may see its work.
    /// </summary>
    public async Task<IClientProxy> AudienceAsync(IHubClients clients, WorkbenchEvent e, IClientProxy everyone)
    {
        if (InterpretationVisibility.LatentOf(e) is not { } latentId) return everyone;
        await using var db = await dbFactory.CreateDbContextAsync();
        return await InterpretationVisibility.AudienceAsync(db, latentId, CancellationToken.None) is { } users
            ? clients.Users(users)
            : everyone;
    }
}
