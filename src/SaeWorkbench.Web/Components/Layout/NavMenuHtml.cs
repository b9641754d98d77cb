using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace SaeWorkbench.Web.Components.Layout;

/// <summary>
/// The main navigation's links, rendered as MudBlazor's nav menu renders them (<c>mud-nav-item</c>, <c>mud-nav-link</c>,
/// its icon classes), once per active link and role: a page's layout writes one cached string instead of building ten
/// link components.
/// </summary>
public static class NavMenuHtml
{
    public sealed record Link(string Href, string Icon, string Text, bool AdminOnly = false);

    public static readonly IReadOnlyList<Link> Links =
    [
        new("", Icons.Material.Filled.Home, "Home"),
        new("dictionaries", Icons.Material.Filled.LibraryBooks, "Dictionaries"),
        new("features", Icons.Material.Filled.Insights, "Features"),
        new("labelling", Icons.Material.Filled.Label, "Labelling"),
        new("steering", Icons.Material.Filled.Tune, "Steering"),
        new("models", Icons.Material.Filled.ModelTraining, "Models"),
        new("jobs", Icons.Material.Filled.WorkHistory, "Jobs"),
        new("exports", Icons.Material.Filled.Archive, "Exports"),
        new("admin/users", Icons.Material.Filled.AdminPanelSettings, "Admin", AdminOnly: true),
        new("admin/audit", Icons.Material.Filled.Policy, "Audit log", AdminOnly: true),
        new("admin/settings", Icons.Material.Filled.Settings, "Labelling settings", AdminOnly: true),
        new("admin/explanations", Icons.Material.Filled.SmartToy, "Explanation model", AdminOnly: true),
    ];

    private static readonly ConcurrentDictionary<(int Active, bool Admin), MarkupString> Rendered = new();

    /// <summary>
    /// The link of the section a base-relative URL is in, as NavLink matches: Home only on the start page itself, any
    /// other link on its own path and below it (<c>dictionaries/3/features</c> is under Dictionaries); −1 for none.
    /// </summary>
    public static int ActiveLink(string relativeUrl, bool admin)
    {
        var path = relativeUrl.Split('?', '#')[0].TrimEnd('/');
        for (var i = 0; i < Links.Count; i++)
        {
            var href = Links[i].Href;
            if (Links[i].AdminOnly && !admin) continue;
            if (href.Length == 0 ? path.Length == 0 : path.Equals(href, StringComparison.OrdinalIgnoreCase)
                                                      || path.StartsWith(href + "/", StringComparison.OrdinalIgnoreCase))
                return i;
        }
        return -1;
    }

    /// <summary>The links a user sees (the admin pages only for Admins), <paramref name="active"/> marked as the current page.</summary>
    public static MarkupString Render(int active, bool admin) => Rendered.GetOrAdd((active, admin), static key =>
    {
        var html = new StringBuilder();
        for (var i = 0; i < Links.Count; i++)
        {
            var link = Links[i];
            if (link.AdminOnly && !key.Admin) continue;
            var current = i == key.Active;
            html.Append("<div class=\"mud-nav-item\"><a href=\"").Append(WebUtility.HtmlEncode(link.Href))
                .Append("\" class=\"mud-nav-link mud-ripple").Append(current ? " active\" aria-current=\"page\"" : "\"")
                .Append("><svg class=\"mud-icon-root mud-icon-default mud-svg-icon mud-icon-size-medium mud-nav-link-icon mud-nav-link-icon-default\" focusable=\"false\" viewBox=\"0 0 24 24\" aria-hidden=\"true\" role=\"img\">")
                .Append(link.Icon) // MudBlazor's own SVG markup constants
                .Append("</svg><div class=\"mud-nav-link-text\">").Append(WebUtility.HtmlEncode(link.Text)).Append("</div></a></div>");
        }
        return new MarkupString(html.ToString());
    });
}
