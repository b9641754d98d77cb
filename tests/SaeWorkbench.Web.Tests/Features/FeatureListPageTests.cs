using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Features;

/// <summary>The feature list as the server prerenders it: its heading, count and pager (MudBlazor components), and its text in any script.</summary>
public sealed class FeatureListPageTests
{
    [Fact]
    public async Task The_heading_names_the_dictionary_and_the_pager_knows_its_ends()
    {
        await using var harness = new LabellingHarness();
        var admin = await harness.UserAsync("admin", SaeWorkbench.Data.Accounts.WorkbenchRoles.Admin);
        var (dictionaryId, _) = await harness.SeedLatentsAsync(3);
        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(
            await admin.Client.GetStringAsync($"/dictionaries/{dictionaryId}/features?size=2"));

        Assert.Equal($"Features dictionary #{dictionaryId}", page.QuerySelector("#main-content h1")!.TextContent.Trim());
        Assert.Equal("3 latents match", page.QuerySelector("[data-testid=feature-total]")!.TextContent.Trim());
        var pager = page.QuerySelector("[role=group][aria-label=Pages]")!;
        Assert.Equal(["BUTTON", "BUTTON"], pager.QuerySelectorAll("button").Select(b => b.TagName));
        Assert.True(pager.QuerySelector("[data-testid=page-prev]")!.HasAttribute("disabled"));
        Assert.False(pager.QuerySelector("[data-testid=page-next]")!.HasAttribute("disabled"));
        Assert.Contains("Page 1 of 2", pager.TextContent);
    }

    [Fact]
    public async Task Text_in_any_script_is_written_into_the_page_as_it_is_and_htmls_own_characters_stay_encoded()
    {
        await using var harness = new LabellingHarness();
        var admin = await harness.UserAsync("admin", SaeWorkbench.Data.Accounts.WorkbenchRoles.Admin);
        var (dictionaryId, latentIds) = await harness.SeedLatentsAsync(1);
        const string label = "Émile’s “naïve” 東京 Ωμέγα <b>bold</b> & 'co'";
        await using (var db = harness.Db())
        {
            var latent = await db.Latents.FindAsync(latentIds[0]);
            latent!.ConsensusLabel = label;
            await db.SaveChangesAsync();
        }

        var html = await admin.Client.GetStringAsync($"/dictionaries/{dictionaryId}/features");

        Assert.Contains("Émile’s “naïve” 東京 Ωμέγα &lt;b&gt;bold&lt;/b&gt; &amp; &#x27;co&#x27;", html);
        Assert.DoesNotContain("&#xC9;", html); // É, as the default encoder would have written it
        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        Assert.Equal(label, page.QuerySelector($"tr[data-index] td:nth-child(2) div")!.TextContent);
    }
}
