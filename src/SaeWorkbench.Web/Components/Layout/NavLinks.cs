using MudBlazor;

namespace SaeWorkbench.Web.Components.Layout;

/// <summary>The main navigation's sections, in the drawer's order (NavMenu renders them as MudNavLinks).</summary>
public static class NavLinks
{
    public sealed record Link(string Href, string Icon, string Text, bool AdminOnly = false);

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
        new("admin/users", Icons.Material.Filled.AdminPanelSettings, "Admin", AdminOnly: true),
        new("admin/audit", Icons.Material.Filled.Policy, "Audit log", AdminOnly: true),
        new("admin/settings", Icons.Material.Filled.Settings, "Labelling settings", AdminOnly: true),
        new("admin/explanations", Icons.Material.Filled.SmartToy, "Explanation model", AdminOnly: true),
    ];

    /// <summary>The links a user sees: the admin pages only for Admins.</summary>
    public static IEnumerable<Link> For(bool admin) => All.Where(l => admin || !l.AdminOnly);
}
