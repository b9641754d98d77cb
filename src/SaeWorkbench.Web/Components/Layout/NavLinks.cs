using MudBlazor;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Web.Components.Layout;

/// <summary>The main navigation's sections, in the drawer's order (NavMenu renders them as MudNavLinks).</summary>
public static class NavLinks
{
    /// <summary>A section; <paramref name="Requires"/> is the action its page's policy requires (the permission table's row).</summary>
    public sealed record Link(string Href, string Icon, string Text, WorkbenchAction Requires = WorkbenchAction.Read);

    public static readonly IReadOnlyList<Link> All =
    [
        new("", Icons.Material.Filled.Home, "Home"),
        new("dictionaries", Icons.Material.Filled.LibraryBooks, "Dictionaries"),
        new("features", Icons.Material.Filled.Insights, "Features"),
        new("what-fires", Icons.Material.Filled.ManageSearch, "What fires"),
        new("models", Icons.Material.Filled.ModelTraining, "Models"),
        new("labelling", Icons.Material.Filled.Label, "Labelling"),
        new("steering", Icons.Material.Filled.Tune, "Steering"),
        new("jobs", Icons.Material.Filled.WorkHistory, "Jobs"),
        new("exports", Icons.Material.Filled.Archive, "Exports"),
        new("admin/users", Icons.Material.Filled.AdminPanelSettings, "Admin", WorkbenchAction.ManageUsers),
        new("admin/audit", Icons.Material.Filled.Policy, "Audit log", WorkbenchAction.BrowseAudit),
        new("admin/settings", Icons.Material.Filled.Settings, "Labelling settings", WorkbenchAction.ManageTaxonomy),
        new("admin/explanations", Icons.Material.Filled.SmartToy, "Explanation model", WorkbenchAction.ManageExplanationProvider),
    ];

    /// <summary>
    /// The links a user sees: every section anyone may read (its page asks an anonymous visitor to sign in), and the
    /// others when <paramref name="role"/> may do what their page requires (<see cref="Permissions.Can"/>).
    /// </summary>
    public static IEnumerable<Link> For(Role? role) =>
        All.Where(l => l.Requires == WorkbenchAction.Read || (role is { } r && Permissions.Can(r, l.Requires)));
}
