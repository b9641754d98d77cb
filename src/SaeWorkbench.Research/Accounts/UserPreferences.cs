using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;

namespace SaeWorkbench.Research.Accounts;

/// <summary>
/// Per-user settings remembered across devices (theme). Every page's layout asks for the theme, so answers are kept
/// for <see cref="CacheFor"/>: a change made here shows at once; one made on another web node within that time.
/// </summary>
public sealed class UserPreferences(IDbContextFactory<WorkbenchDbContext> dbFactory, TimeProvider clock)
{
    /// <summary>How long a read theme is trusted before it is read again.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, (bool Dark, DateTimeOffset ReadAt)> _darkMode = new(StringComparer.Ordinal);

    public async Task<bool> GetDarkModeAsync(string userId)
    {
        var now = clock.GetUtcNow();
        if (_darkMode.TryGetValue(userId, out var hit) && now - hit.ReadAt < CacheFor) return hit.Dark;
        await using var db = await dbFactory.CreateDbContextAsync();
        var dark = await db.Users.Where(u => u.Id == userId).Select(u => u.PrefersDarkMode).FirstOrDefaultAsync();
        if (_darkMode.Count > 10_000) _darkMode.Clear(); // bounded: one entry per recently active user
        _darkMode[userId] = (dark, now);
        return dark;
    }

    public async Task SetDarkModeAsync(string userId, bool dark)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.PrefersDarkMode, dark));
        _darkMode[userId] = (dark, clock.GetUtcNow());
    }
}
