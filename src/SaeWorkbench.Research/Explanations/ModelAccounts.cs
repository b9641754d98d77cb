using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Explanations;

/// <summary>
/// The account a model writes its explanations under, named after the model (docs/science.md §13). It is an ordinary
/// Labeler to the labelling rules — blind scopes, votes, review and consensus treat its work like anyone's — but it
/// has no password and is locked out, so nobody can sign in as it.
/// </summary>
public sealed class ModelAccounts(IDbContextFactory<WorkbenchDbContext> factory)
{
    public const string IdPrefix = "model-";

    /// <summary>The stable user id of a model's account: the prefix and a hash of the name.</summary>
    public static string IdFor(string modelName) =>
        IdPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelName)))[..24];

    public static bool IsModelAccount(string? userId) => userId?.StartsWith(IdPrefix, StringComparison.Ordinal) == true;

    public async Task<Actor> EnsureAsync(string modelName, CancellationToken ct = default)
    {
        var id = IdFor(modelName);
        await using var db = await factory.CreateDbContextAsync(ct);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is null)
        {
            // A person may already use the model's name; the account then says what it is.
            var name = modelName.Length > 200 ? modelName[..200] : modelName;
            if (await db.Users.AnyAsync(u => u.NormalizedUserName == name.ToUpperInvariant(), ct)) name += " (model)";
            user = new WorkbenchUser
            {
                Id = id, UserName = name, NormalizedUserName = name.ToUpperInvariant(), SecurityStamp = Guid.NewGuid().ToString("N"),
                LockoutEnabled = true, LockoutEnd = DateTimeOffset.MaxValue,
            };
            db.Users.Add(user);
            try { await db.SaveChangesAsync(ct); }
            catch (DbUpdateException)
            {
                // Another job made it at the same moment.
                await using var again = await factory.CreateDbContextAsync(ct);
                user = await again.Users.AsNoTracking().FirstAsync(u => u.Id == id, ct);
            }
        }
        return new Actor(id, user.UserName!, Role.Labeler);
    }
}
