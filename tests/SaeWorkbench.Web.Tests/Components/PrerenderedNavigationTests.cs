using System.Text.RegularExpressions;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Web.Components.Layout;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The navigation a prerender writes from what it kept is exactly what its components write.</summary>
public sealed partial class PrerenderedNavigationTests
{
    [GeneratedRegex("<nav [^>]*aria-label=\"Main navigation\".*?</nav>", RegexOptions.Singleline)]
    private static partial Regex Navigation();

    private static async Task<string> NavigationOfAsync(HttpClient client, string url)
    {
        var match = Navigation().Match(await client.GetStringAsync(url));
        Assert.True(match.Success, $"no main navigation in {url}");
        return match.Value;
    }

    [Fact]
    public async Task The_kept_navigation_is_what_the_components_write_for_each_role_and_page()
    {
        await using var harness = new LabellingHarness();
        var admin = await harness.UserAsync("admin", WorkbenchRoles.Admin);
        var labeller = await harness.UserAsync("lena", WorkbenchRoles.Labeler);
        var (dictionaryId, _) = await harness.SeedLatentsAsync(2);
        // The same application and database without the kept navigation: every page renders the MudNavLinks.
        await using var live = harness.Host.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.RemoveAll<PrerenderedNavigation>()));
        string[] urls = ["/", "/jobs", $"/dictionaries/{dictionaryId}/features?sort=density", $"/dictionaries/{dictionaryId}/features/1", "/admin/users"];

        foreach (var user in new[] { admin, labeller })
        {
            var liveClient = live.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
            liveClient.DefaultRequestHeaders.Authorization = user.Client.DefaultRequestHeaders.Authorization;
            foreach (var url in urls)
            {
                if (user == labeller && url.StartsWith("/admin", StringComparison.Ordinal)) continue; // refused to a labeler
                var expected = await NavigationOfAsync(liveClient, url);
                Assert.Equal(expected, await NavigationOfAsync(user.Client, url)); // rendered and kept
                Assert.Equal(expected, await NavigationOfAsync(user.Client, url)); // from what was kept
            }
        }

        var kept = harness.Host.Services.GetRequiredService<PrerenderedNavigation>();
        Assert.Equal(4 + 3, kept.Count); // the two pages of one dictionary share their section
        Assert.Empty(live.Services.GetServices<PrerenderedNavigation>());
        // Written from what was kept, the page's section is the one current link, and each role keeps its own links.
        await NavigationOfAsync(admin.Client, "/jobs/3");
        var adminJobs = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await NavigationOfAsync(admin.Client, "/jobs/3"));
        Assert.Equal("jobs", Assert.Single(adminJobs.QuerySelectorAll("a[aria-current=page]")).GetAttribute("href"));
        Assert.NotNull(adminJobs.QuerySelector("a[href='admin/users']"));
        Assert.DoesNotContain("href=\"admin/users\"", await NavigationOfAsync(labeller.Client, "/jobs/3"));
    }

    [Theory]
    [InlineData("dictionaries/3/features?sort=density", "Admin|dictionaries/3")]
    [InlineData("Dictionaries/3/features/12#top", "Admin|dictionaries/3")]
    [InlineData("admin/users/5", "Admin|admin/users")]
    [InlineData("jobs", "Admin|jobs")]
    [InlineData("jobs/", "Admin|jobs/")]
    [InlineData("?q=1", "Admin|")]
    [InlineData("", "Admin|")]
    public void A_page_is_kept_under_its_role_and_first_two_path_segments(string address, string key) =>
        Assert.Equal(key, PrerenderedNavigation.Key(Role.Admin, address));

    [Fact]
    public void Roles_and_visitors_are_kept_apart() =>
        Assert.Equal(3, new[] { PrerenderedNavigation.Key(Role.Admin, "jobs"), PrerenderedNavigation.Key(Role.Labeler, "jobs"), PrerenderedNavigation.Key(null, "jobs") }.Distinct().Count());
}
