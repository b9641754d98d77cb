using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Tests.LabellingServices;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Tests.Events;

namespace SaeWorkbench.Research.Tests.Accounts;

/// <summary>The theme is read once per <see cref="UserPreferences.CacheFor"/>; a change made through the service shows at once.</summary>
public sealed class UserPreferencesTests
{
    [Fact]
    public async Task The_theme_is_cached_briefly_and_a_change_through_the_service_shows_at_once()
    {
        await using var s = await ServiceDatabase.StartAsync();
        var clock = new StepClock();
        using var preferences = new UserPreferences(s.Get<IDbContextFactory<WorkbenchDbContext>>(), s.Get<WorkbenchEventBus>(), clock);
        Assert.False(await preferences.GetDarkModeAsync(s.Ann.UserId));

        // Changed elsewhere (another web node): the cached answer stands until it is CacheFor old.
        await using (var db = s.Db())
            await db.Users.Where(u => u.Id == s.Ann.UserId).ExecuteUpdateAsync(x => x.SetProperty(u => u.PrefersDarkMode, true));
        clock.Advance(UserPreferences.CacheFor - TimeSpan.FromSeconds(1));
        Assert.False(await preferences.GetDarkModeAsync(s.Ann.UserId));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await preferences.GetDarkModeAsync(s.Ann.UserId));

        // Changed here: at once, and stored.
        await preferences.SetDarkModeAsync(s.Ann.UserId, false);
        Assert.False(await preferences.GetDarkModeAsync(s.Ann.UserId));
        await using (var db = s.Db())
            Assert.False(await db.Users.Where(u => u.Id == s.Ann.UserId).Select(u => u.PrefersDarkMode).SingleAsync());
        Assert.False(await preferences.GetDarkModeAsync(s.Ben.UserId)); // per user
    }
}
