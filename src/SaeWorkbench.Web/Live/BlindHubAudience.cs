using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// Issue 8 §3 on the hub: an event about a latent in a blind scope goes only to those who may see others' work
/// there (<see cref="BlindModePolicy"/>): Reviewers and Admins, and each person who has written an
/// interpretation of it. Every other event goes to all clients. Connections join their groups on connect.
/// </summary>
public sealed class BlindHubAudience(IDbContextFactory<WorkbenchDbContext> dbFactory)
{
    public const string SeeBlindedGroup = "see-blinded";

    public static string UserGroup(string userId) => "user:" + userId;

    /// <summary>The groups a new hub connection of <paramref name="actor"/> joins.</summary>
    public static IEnumerable<string> GroupsOf(Actor actor)
    {
        yield return UserGroup(actor.UserId);
        if (Permissions.Can(actor.Role, LabellingAction.SeeBlindedWork)) yield return SeeBlindedGroup;
    }

    /// <summary>The latent an event is about, if it is a labelling event.</summary>
    public static long? LatentOf(WorkbenchEvent e) => e switch
    {
        InterpretationCreated x => x.LatentId,
        InterpretationEdited x => x.LatentId,
        InterpretationDeleted x => x.LatentId,
        VoteChanged x => x.LatentId,
        CommentAdded x => x.LatentId,
        InterpretationReviewed x => x.LatentId,
        ConsensusChanged x => x.LatentId,
        DetectionScored x => x.LatentId,
        _ => null,
    };

    public async Task<IClientProxy> AudienceAsync(IHubClients clients, WorkbenchEvent e)
    {
        if (LatentOf(e) is not { } latentId) return clients.All;
        await using var db = await dbFactory.CreateDbContextAsync();
        if (!await BlindModePolicy.IsBlindAsync(db, latentId, CancellationToken.None)) return clients.All;
        var authors = await db.Interpretations.AsNoTracking().Where(i => i.LatentId == latentId && !i.IsDeleted)
            .Select(i => i.AuthorId).Distinct().ToListAsync();
        return clients.Groups([SeeBlindedGroup, .. authors.Select(UserGroup)]);
    }
}
