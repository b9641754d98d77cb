using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Features;

/// <summary>The feature list as the server prerenders it: its text, its heading and its pager.</summary>
public sealed class FeatureListPageTests
{
    [Fact]
    public async Task The_list_writes_token_text_as_characters_and_still_escapes_markup()
    {
        await using var harness = new LabellingHarness();
        var admin = await harness.UserAsync("admin", SaeWorkbench.Data.Accounts.WorkbenchRoles.Admin);
        var (dictionaryId, latents) = await harness.SeedLatentsAsync(1);
        await using (var db = harness.Db())
        {
            var latent = await db.Latents.SingleAsync(l => l.Id == latents[0]);
            latent.LabelStatus = SaeWorkbench.Data.Dictionaries.LabelStatus.Accepted;
            latent.ConsensusLabel = "<b>café</b> & \"war\"";
            latent.TopTokens = LatentPreview.EncodeTokens([new(" war", 12)]);
            await db.SaveChangesAsync();
        }

        var html = await admin.Client.GetStringAsync($"/dictionaries/{dictionaryId}/features");

        // "·" (a leading space), "×", "é" and "—" reach the page as themselves, not as &#xB7; and the like.
        Assert.Contains(">·war<small>×12</small></span>", html);
        Assert.Contains("café", html);
        Assert.DoesNotContain("&#xB7;", html);
        // What means something in HTML is still escaped: the label is text.
        Assert.Contains("&lt;b&gt;café&lt;/b&gt; &amp; &quot;war&quot;", html);
        Assert.DoesNotContain("<b>café", html);
    }

    [Fact]
    public async Task The_heading_count_and_pager_are_plain_elements_and_the_pager_knows_its_ends()
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
}
