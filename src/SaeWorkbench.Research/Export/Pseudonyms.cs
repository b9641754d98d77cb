using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Exports;

namespace SaeWorkbench.Research.Export;

/// <summary>
/// Stable pseudonyms for external sharing. A person's pseudonym is "Labeller-" and the first six hex
/// digits of HMAC-SHA256(workspace key, user id): the same person gets the same pseudonym in every export of this
/// workspace, and without the key (which never leaves the database) the pseudonym cannot be traced back.
/// </summary>
public static class Pseudonyms
{
    public const string Prefix = "Labeller-";

    public static string Of(byte[] key, string userId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(key.Length, 16, nameof(key));
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(userId));
        return Prefix + Convert.ToHexStringLower(mac)[..6];
    }

    /// <summary>The workspace's pseudonym key, created (32 random bytes) on first use.</summary>
    public static async Task<byte[]> KeyAsync(WorkbenchDbContext db, CancellationToken ct = default)
    {
        var secret = await db.Set<WorkspaceSecret>().AsNoTracking().FirstOrDefaultAsync(ct);
        if (secret is { PseudonymKey.Length: >= 16 }) return secret.PseudonymKey;
        var key = RandomNumberGenerator.GetBytes(32);
        db.Set<WorkspaceSecret>().Add(new WorkspaceSecret { Id = 1, PseudonymKey = key });
        try
        {
            await db.SaveChangesAsync(ct);
            return key;
        }
        catch (DbUpdateException)
        {
            // Another export created it first: use theirs.
            db.ChangeTracker.Clear();
            return (await db.Set<WorkspaceSecret>().AsNoTracking().FirstAsync(ct)).PseudonymKey;
        }
    }
}

/// <summary>
/// Where the catalog gets an interpretation's human detection score. The default reads the denormalised columns of
/// the interpretation (balanced accuracy and the number of ratings); a ratings table can replace it with one that
/// also gives precision and recall.
/// </summary>
public interface IDetectionScoreSource
{
    /// <summary>Scores of the interpretations that have ratings; unrated ones are absent.</summary>
    Task<IReadOnlyDictionary<long, CatalogDetectionScore>> ScoresAsync(WorkbenchDbContext db, IReadOnlyCollection<long> interpretationIds, CancellationToken ct);
}

public sealed class InterpretationColumnsDetectionScores : IDetectionScoreSource
{
    public async Task<IReadOnlyDictionary<long, CatalogDetectionScore>> ScoresAsync(WorkbenchDbContext db, IReadOnlyCollection<long> interpretationIds,
        CancellationToken ct)
    {
        var result = new Dictionary<long, CatalogDetectionScore>();
        foreach (var chunk in interpretationIds.Chunk(500))
        {
            var rows = await db.Interpretations.AsNoTracking()
                .Where(i => chunk.Contains(i.Id) && i.DetectionRatings > 0)
                .Select(i => new { i.Id, i.DetectionScore, i.DetectionRatings }).ToListAsync(ct);
            foreach (var r in rows) result[r.Id] = new CatalogDetectionScore(r.DetectionScore, null, null, r.DetectionRatings);
        }
        return result;
    }
}
