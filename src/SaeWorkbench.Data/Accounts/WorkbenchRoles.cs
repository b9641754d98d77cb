namespace SaeWorkbench.Data.Accounts;

/// <summary>
/// Workspace roles, least to most trusted (docs/architecture.md §9): the one role type. ASP.NET Core Identity stores a
/// user's role by name, and that name is the member's name (<see cref="WorkbenchRoles"/>).
/// </summary>
public enum Role
{
    Viewer = 0,
    Labeler = 1,
    Reviewer = 2,
    Admin = 3,
}

/// <summary>The names Identity stores for each <see cref="Role"/>, and the role a set of stored names grants.</summary>
public static class WorkbenchRoles
{
    public const string Admin = nameof(Role.Admin);
    public const string Reviewer = nameof(Role.Reviewer);
    public const string Labeler = nameof(Role.Labeler);
    public const string Viewer = nameof(Role.Viewer);

    /// <summary>Every role's name, most trusted first (the order the Admin page offers them in).</summary>
    public static readonly IReadOnlyList<string> All = [.. Enum.GetValues<Role>().OrderDescending().Select(r => r.ToString())];

    /// <summary>The names of <paramref name="role"/> and every role above it: who passes a check for it.</summary>
    public static IReadOnlyList<string> AtLeast(Role role) => [.. Enum.GetValues<Role>().Where(r => r >= role).Select(r => r.ToString())];

    /// <summary>The role a stored name stands for; null for a name that is not a role.</summary>
    public static Role? Parse(string name) => Enum.TryParse<Role>(name, ignoreCase: false, out var role) && Enum.IsDefined(role)
                                                  && name == role.ToString() ? role : null;

    /// <summary>The most trusted role among <paramref name="names"/>; Viewer when none is known.</summary>
    public static Role Highest(IEnumerable<string> names) => names.Select(Parse).Max() ?? Role.Viewer;
}
