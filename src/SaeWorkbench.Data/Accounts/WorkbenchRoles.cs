namespace SaeWorkbench.Data.Accounts;

/// <summary>The four roles, from most to least privileged (ARCHITECTURE.md, security model).</summary>
public static class WorkbenchRoles
{
    public const string Admin = "Admin";
    public const string Reviewer = "Reviewer";
    public const string Labeler = "Labeler";
    public const string Viewer = "Viewer";

    public static readonly IReadOnlyList<string> All = [Admin, Reviewer, Labeler, Viewer];

    /// <summary>Role names that include <paramref name="role"/>'s rights (a Reviewer can do what a Labeler can).</summary>
    public static string AtLeast(string role) => role switch
    {
        Admin => Admin,
        Reviewer => $"{Admin},{Reviewer}",
        Labeler => $"{Admin},{Reviewer},{Labeler}",
        Viewer => $"{Admin},{Reviewer},{Labeler},{Viewer}",
        _ => throw new ArgumentException($"unknown role '{role}'; roles are {string.Join(", ", All)}", nameof(role)),
    };
}
