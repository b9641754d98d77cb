namespace SaeWorkbench.Data.Accounts;

/// <summary>The four roles, from most to least privileged (docs/architecture.md §9).</summary>
public static class WorkbenchRoles
{
    public const string Admin = "Admin";
    public const string Reviewer = "Reviewer";
    public const string Labeler = "Labeler";
    public const string Viewer = "Viewer";

    public static readonly IReadOnlyList<string> All = [Admin, Reviewer, Labeler, Viewer];
}
