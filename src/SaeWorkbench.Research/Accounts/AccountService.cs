using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Accounts;

/// <summary>Registration and role rules: the first account becomes Admin, later ones Viewer.</summary>
public sealed class AccountService(UserManager<WorkbenchUser> users, RoleManager<IdentityRole> roles, WorkbenchDbContext db, ILogger<AccountService> logger)
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

    /// <summary>
    /// An Admin gives a user exactly one role. Refuses non-Admins and the removal of the last
    /// Admin; an accepted change commits with one audit entry ("user.role", before/after roles).
    /// </summary>
    public async Task<IReadOnlyList<string>> SetRoleAsync(Actor actor, string userId, string role)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.ManageUsers)) return [Permissions.Refusal(actor.Role, WorkbenchAction.ManageUsers)];
        return await ChangeRoleAsync(userId, role, actor);
    }

    /// <summary>
    /// Gives a user exactly one role on behalf of the system (seeding, the CLI, tests); audited with no user.
    /// Refuses to remove the last Admin.
    /// </summary>
    public Task<IReadOnlyList<string>> SetRoleAsync(string userId, string role) => ChangeRoleAsync(userId, role, null);

    private async Task<IReadOnlyList<string>> ChangeRoleAsync(string userId, string role, Actor? actor)
    {
        if (!WorkbenchRoles.All.Contains(role)) return [$"Unknown role '{role}'; roles are {string.Join(", ", WorkbenchRoles.All)}."];
        // The user store works on this scope's context, so the role rows and the audit entry commit together.
        await using var tx = await db.Database.BeginTransactionAsync();
        var user = await users.FindByIdAsync(userId);
        if (user is null) return ["No such user."];
        var current = await users.GetRolesAsync(user);
        if (current.Count == 1 && current[0] == role) return [];
        if (current.Contains(WorkbenchRoles.Admin) && role != WorkbenchRoles.Admin &&
            (await users.GetUsersInRoleAsync(WorkbenchRoles.Admin)).Count == 1)
            return ["This is the last Admin; make someone else Admin first."];
        var removed = await users.RemoveFromRolesAsync(user, current);
        if (!removed.Succeeded) return removed.Errors.Select(e => e.Description).ToList();
        var added = await users.AddToRoleAsync(user, role);
        if (!added.Succeeded) return added.Errors.Select(e => e.Description).ToList();
        var entry = AuditRecorder.Add(db, actor ?? SystemActor, "user.role", "User", user.Id,
            new { user.Id, user.UserName, Roles = current.Order(StringComparer.Ordinal).ToArray() },
            new { user.Id, user.UserName, Roles = new[] { role } }, DateTimeOffset.UtcNow);
        if (actor is null) { entry.UserId = null; entry.UserName = "system"; }
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        logger.LogInformation("Role of {UserName} changed from {Old} to {New} by {By}", user.UserName, string.Join(",", current), role, actor?.UserName ?? "system");
        return [];
    }

    private static readonly Actor SystemActor = new("system", "system", Role.Admin);

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
