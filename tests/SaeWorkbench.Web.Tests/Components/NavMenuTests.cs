using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Authorization;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Web.Components.Layout;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The drawer's MudNavLinks: who sees which section, and which one is current.</summary>
public sealed class NavMenuTests : MudComponentTest
{
    private IRenderedComponent<NavMenu> Render(string url, params string[] roles)
    {
        var auth = Context.AddAuthorization();
        auth.SetAuthorized("ann");
        auth.SetRoles(roles);
        Context.Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        return Context.Render<NavMenu>();
    }

    private static IEnumerable<string> Hrefs(IRenderedComponent<NavMenu> menu) =>
        menu.FindAll("nav[aria-label='Main navigation'] a").Select(a => a.GetAttribute("href") ?? "");

    [Fact]
    public void Admin_pages_are_listed_only_for_Admins()
    {
        var user = Hrefs(Render("jobs")).ToList();

        Assert.DoesNotContain(user, h => h.StartsWith("admin/", StringComparison.Ordinal));
        Assert.Equal(NavLinks.For(Role.Viewer).Count(), user.Count);
        Assert.Contains("what-fires", user);
    }

    [Fact]
    public void Each_admin_link_follows_the_permission_tables_row_for_its_page()
    {
        var reviewer = Hrefs(Render("", WorkbenchRoles.Reviewer)).ToList();

        Assert.DoesNotContain(reviewer, h => h.StartsWith("admin/", StringComparison.Ordinal));
        // Each link asks for what its page's policy asks for, so the menu never offers a page that would refuse.
        var pages = typeof(NavLinks).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes(typeof(RouteAttribute), false).Cast<RouteAttribute>().Select(r => (r.Template, Type: t)))
            .ToDictionary(p => p.Template.TrimStart('/'), p => p.Type);
        Assert.All(NavLinks.All.Where(l => l.Requires != WorkbenchAction.Read), l =>
        {
            var policy = pages[l.Href].GetCustomAttributes(typeof(AuthorizeAttribute), true).Cast<AuthorizeAttribute>().Single().Policy;
            Assert.Equal(l.Requires.ToString(), policy);
        });
        Assert.Equal(NavLinks.All.Select(l => l.Href), NavLinks.For(Role.Admin).Select(l => l.Href));
        Assert.Equal(NavLinks.For(null).Select(l => l.Href), NavLinks.For(Role.Reviewer).Select(l => l.Href));
    }

    [Fact]
    public void An_Admin_sees_every_section()
    {
        var admin = Hrefs(Render("", WorkbenchRoles.Admin)).ToList();

        Assert.Equal(NavLinks.All.Select(l => l.Href), admin);
    }

    [Theory]
    [InlineData("jobs/12", "jobs")]
    [InlineData("dictionaries/3/features?sort=density", "dictionaries")]
    [InlineData("", "")]
    public void Exactly_the_section_the_page_is_in_is_current(string url, string current)
    {
        var menu = Render(url);

        var active = menu.FindAll("a.active");
        Assert.Equal(current, Assert.Single(active).GetAttribute("href"));
        Assert.Equal("page", active[0].GetAttribute("aria-current"));
    }
}
