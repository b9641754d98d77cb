using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Research.Accounts;

/// <summary>
/// Per-user settings remembered across devices (theme). Every page's layout asks for the theme, so answers are kept
/// for <see cref="CacheFor"/>: a change made here shows at once; one made on another web node within that time.
/// </summary>
public sealed class UserPreferences(IDbContextFactory<WorkbenchDbContext> dbFactory, WorkbenchEventBus events, TimeProvider clock) : IDisposable
{
    /// <summary>How long a read theme is trusted before it is read again.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    // No event announces a theme change, so only the lifetime bounds how stale another node's answer is.
    private readonly EventInvalidatedCache<bool> _darkMode = new(events, clock, CacheFor, _ => false);

    public Task<bool> GetDarkModeAsync(string userId) => _darkMode.GetAsync(userId, async ct =>
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.Where(u => u.Id == userId).Select(u => u.PrefersDarkMode).FirstOrDefaultAsync(ct);
    });

    public async Task SetDarkModeAsync(string userId, bool dark)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.PrefersDarkMode, dark));
        _darkMode.Set(userId, dark);
    }

    public void Dispose() => _darkMode.Dispose();
}
