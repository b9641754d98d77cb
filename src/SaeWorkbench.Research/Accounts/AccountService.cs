using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Data.Accounts;

namespace SaeWorkbench.Research.Accounts;

/// <summary>Registration and role rules: the first account becomes Admin, later ones Viewer.</summary>
public sealed class AccountService(UserManager<WorkbenchUser> users, RoleManager<IdentityRole> roles, ILogger<AccountService> logger)
{
    private static readonly SemaphoreSlim RegistrationGate = new(1, 1);

    public async Task EnsureRolesAsync()
    {
        foreach (var role in WorkbenchRoles.All)
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole(role));
    }

    /// <summary>Creates an account. Errors are Identity's messages (duplicate name, weak password …).</summary>
    public async Task<(WorkbenchUser? User, IReadOnlyList<string> Errors)> RegisterAsync(string userName, string password)
    {
        if (string.IsNullOrWhiteSpace(userName)) return (null, ["User name is required."]);
        // Serialise registrations so that two simultaneous first sign-ups cannot both become Admin.
        await RegistrationGate.WaitAsync();
        try
        {
            await EnsureRolesAsync();
            var first = !await users.Users.AnyAsync();
            var user = new WorkbenchUser { UserName = userName.Trim() };
            var created = await users.CreateAsync(user, password);
            if (!created.Succeeded) return (null, created.Errors.Select(e => e.Description).ToList());
            var role = first ? WorkbenchRoles.Admin : WorkbenchRoles.Viewer;
            var added = await users.AddToRoleAsync(user, role);
            if (!added.Succeeded)
            {
                await users.DeleteAsync(user);
                return (null, added.Errors.Select(e => e.Description).ToList());
            }
            logger.LogInformation("Registered {UserName} as {Role}", user.UserName, role);
            return (user, []);
        }
        finally
        {
            RegistrationGate.Release();
        }
    }

    /// <summary>Gives a user exactly one role. Refuses to remove the last Admin.</summary>
    public async Task<IReadOnlyList<string>> SetRoleAsync(string userId, string role)
    {
        if (!WorkbenchRoles.All.Contains(role)) return [$"Unknown role '{role}'; roles are {string.Join(", ", WorkbenchRoles.All)}."];
        var user = await users.FindByIdAsync(userId);
        if (user is null) return ["No such user."];
        var current = await users.GetRolesAsync(user);
        if (current.Contains(WorkbenchRoles.Admin) && role != WorkbenchRoles.Admin &&
            (await users.GetUsersInRoleAsync(WorkbenchRoles.Admin)).Count == 1)
            return ["This is the last Admin; make someone else Admin first."];
        var removed = await users.RemoveFromRolesAsync(user, current);
        if (!removed.Succeeded) return removed.Errors.Select(e => e.Description).ToList();
        var added = await users.AddToRoleAsync(user, role);
        if (!added.Succeeded) return added.Errors.Select(e => e.Description).ToList();
        logger.LogInformation("Role of {UserName} changed from {Old} to {New}", user.UserName, string.Join(",", current), role);
        return [];
    }

    public async Task<IReadOnlyList<UserSummary>> ListAsync()
    {
        var all = await users.Users.OrderBy(u => u.CreatedAt).ToListAsync();
        var result = new List<UserSummary>(all.Count);
        foreach (var u in all)
        {
            var r = await users.GetRolesAsync(u);
            result.Add(new UserSummary(u.Id, u.UserName ?? "", r.FirstOrDefault() ?? WorkbenchRoles.Viewer, u.CreatedAt,
                u.LockoutEnd is { } end && end > DateTimeOffset.UtcNow));
        }
        return result;
    }
}

public sealed record UserSummary(string Id, string UserName, string Role, DateTimeOffset CreatedAt, bool LockedOut);
