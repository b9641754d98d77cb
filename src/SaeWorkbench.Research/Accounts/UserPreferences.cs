using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;

namespace SaeWorkbench.Research.Accounts;

/// <summary>Per-user settings remembered across devices (theme).</summary>
public sealed class UserPreferences(IDbContextFactory<WorkbenchDbContext> dbFactory)
{
    public async Task<bool> GetDarkModeAsync(string userId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        return await db.Users.Where(u => u.Id == userId).Select(u => u.PrefersDarkMode).FirstOrDefaultAsync();
    }

    public async Task SetDarkModeAsync(string userId, bool dark)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.PrefersDarkMode, dark));
    }
}
