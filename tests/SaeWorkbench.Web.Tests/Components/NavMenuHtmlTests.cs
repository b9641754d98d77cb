using SaeWorkbench.Web.Components.Layout;

namespace SaeWorkbench.Web.Tests.Components;

public sealed class NavMenuHtmlTests
{
    private static int Index(string href) => NavMenuHtml.Links.Select((l, i) => (l, i)).Single(x => x.l.Href == href).i;

    [Theory]
    [InlineData("", "")]
    [InlineData("?x=1", "")]
    [InlineData("dictionaries", "dictionaries")]
    [InlineData("dictionaries/3/features?sort=density", "dictionaries")]
    [InlineData("Features/", "features")]
    [InlineData("jobs/12#log", "jobs")]
    [InlineData("admin/audit", "admin/audit")]
    public void The_current_section_is_the_link_whose_path_the_url_is_in(string url, string expected) =>
        Assert.Equal(Index(expected), NavMenuHtml.ActiveLink(url, admin: true));

    [Theory]
    [InlineData("dictionariesX")] // a longer word is not below the link
    [InlineData("account/login")]
    [InlineData("not-found")]
    public void Other_pages_mark_no_link(string url) => Assert.Equal(-1, NavMenuHtml.ActiveLink(url, admin: true));

    [Fact]
    public void Admin_pages_are_neither_listed_nor_active_for_other_roles()
    {
        Assert.Equal(-1, NavMenuHtml.ActiveLink("admin/users", admin: false));
        var user = NavMenuHtml.Render(-1, admin: false).Value;
        var admin = NavMenuHtml.Render(-1, admin: true).Value;
        Assert.DoesNotContain("admin/", user);
        foreach (var href in new[] { "admin/users", "admin/audit", "admin/settings", "admin/explanations" }) Assert.Contains($"href=\"{href}\"", admin);
        Assert.Equal(8, CountOf(user, "class=\"mud-nav-item\""));
        Assert.Equal(12, CountOf(admin, "class=\"mud-nav-item\""));
    }

    [Fact]
    public void Exactly_the_active_link_carries_active_and_aria_current()
    {
        var html = NavMenuHtml.Render(Index("jobs"), admin: false).Value;
        Assert.Equal(1, CountOf(html, " active\""));
        Assert.Equal(1, CountOf(html, "aria-current=\"page\""));
        Assert.Contains("<a href=\"jobs\" class=\"mud-nav-link mud-ripple active\" aria-current=\"page\">", html);
        Assert.Contains("<div class=\"mud-nav-link-text\">Jobs</div>", html);
        Assert.DoesNotContain("active", NavMenuHtml.Render(-1, admin: false).Value);
    }

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
