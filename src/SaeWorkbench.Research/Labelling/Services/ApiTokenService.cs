using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Labelling;
using SaeWorkbench.Research.Audit;

namespace SaeWorkbench.Research.Labelling.Services;

/// <summary>A token as its owner sees it in the list (never the secret).</summary>
public sealed record ApiTokenInfo(long Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A new token: <see cref="Token"/> is shown once and never stored.</summary>
public sealed record CreatedApiToken(ApiTokenInfo Info, string Token);

/// <summary>The owner of a valid, unrevoked token.</summary>
public sealed record ApiTokenOwner(long TokenId, string UserId);

/// <summary>
/// Personal API tokens. A token is "sae_" + 32 random bytes (base64url); the database keeps
/// its SHA-256 (hex) and its first 12 characters, so a leaked database cannot be used to call the API.
/// Every signed-in user (Viewers included, for reading) may hold tokens; a token acts with its owner's
/// current roles.
/// </summary>
public sealed class ApiTokenService(IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions,
    Limits.UserRateLimiter rateLimiter)
{
    public const string Scheme = "sae_";
    public const int PrefixLength = 12;
    public const int MaxNameLength = 100;
    /// <summary>Unrevoked tokens one user may hold (<c>Workbench:RateLimits:MaxActiveTokensPerUser</c>).</summary>
    public int MaxTokensPerUser => rateLimiter.Limits.MaxActiveTokensPerUser;

    public async Task<Outcome<CreatedApiToken>> CreateAsync(Actor actor, string? name, CancellationToken ct = default)
    {
        name = name?.Trim() ?? "";
        if (name.Length is 0 or > MaxNameLength)
            return Outcome<CreatedApiToken>.Refused(ValidationResult.Fail("name", $"Name the token (1–{MaxNameLength} characters) so you can tell it apart later."));
        if (TextRules.FirstForbiddenInLine(name) is { } bad)
            return Outcome<CreatedApiToken>.Refused(ValidationResult.Fail("name", $"The name contains {bad}."));
        // Creating and revoking in a loop must not mint tokens without end: creations count against a per-user budget.
        rateLimiter.Acquire(Limits.WorkKind.Token, actor.UserId);
        var token = Scheme + Base64Url(RandomNumberGenerator.GetBytes(32));
        return await transactions.RunAsync(async (w, ct) =>
        {
            if (await w.Db.ApiTokens.CountAsync(t => t.UserId == actor.UserId && t.RevokedAt == null, ct) >= MaxTokensPerUser)
                return Outcome<CreatedApiToken>.Refused(ValidationResult.Fail("name", $"You have {MaxTokensPerUser} active tokens; revoke one first."));
            var row = new ApiToken { UserId = actor.UserId, Name = name, Prefix = token[..PrefixLength], Sha256 = Hash(token), CreatedAt = w.Now };
            w.Db.ApiTokens.Add(row);
            await w.Db.SaveChangesAsync(ct);
            AuditRecorder.Add(w.Db, actor, "token.create", "ApiToken", row.Id, null, new { row.Id, row.Name, row.Prefix }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            return Outcome<CreatedApiToken>.Ok(new CreatedApiToken(Info(row), token));
        }, ct);
    }

    public async Task<IReadOnlyList<ApiTokenInfo>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.ApiTokens.AsNoTracking().Where(t => t.UserId == actor.UserId).OrderByDescending(t => t.Id).ToListAsync(ct);
        return rows.Select(Info).ToList();
    }

    /// <summary>Revokes one of the caller's tokens (Admins may revoke anyone's). Revoked tokens answer 401 from then on.</summary>
    public async Task<Outcome<ApiTokenInfo>> RevokeAsync(Actor actor, long tokenId, CancellationToken ct = default)
    {
        return await transactions.RunAsync(async (w, ct) =>
        {
            var row = await w.Db.ApiTokens.FirstOrDefaultAsync(t => t.Id == tokenId, ct);
            if (row is null || (row.UserId != actor.UserId && !Permissions.Can(actor.Role, WorkbenchAction.ManageOthersTokens))) return Outcome<ApiTokenInfo>.NotFound($"Token {tokenId}");
            if (row.RevokedAt is not null) return Outcome<ApiTokenInfo>.Ok(Info(row));
            row.RevokedAt = w.Now;
            AuditRecorder.Add(w.Db, actor, "token.revoke", "ApiToken", row.Id, new { row.Id, row.Name, row.Prefix, row.UserId }, new { row.Id, row.RevokedAt }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            return Outcome<ApiTokenInfo>.Ok(Info(row));
        }, ct);
    }

    /// <summary>The owner of <paramref name="token"/> if it exists and is not revoked; records when it was last used (at most once a minute).</summary>
    public async Task<ApiTokenOwner?> ValidateAsync(string token, CancellationToken ct = default)
    {
        if (!token.StartsWith(Scheme, StringComparison.Ordinal) || token.Length > 200) return null;
        var hash = Hash(token);
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Sha256 == hash, ct);
        if (row is null || row.RevokedAt is not null) return null;
        var now = DateTimeOffset.UtcNow;
        if (row.LastUsedAt is null || now - row.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            try
            {
                await db.ApiTokens.Where(t => t.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), ct);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode is 5 or 6)
            {
                // "Last used" is a hint; a busy database must not fail the request.
            }
        }
        return new ApiTokenOwner(row.Id, row.UserId);
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static ApiTokenInfo Info(ApiToken t) => new(t.Id, t.Name, t.Prefix, t.CreatedAt, t.LastUsedAt, t.RevokedAt);
}
