using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Tests.Labelling;

public sealed partial class InterpretationApiTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    private static Task<HttpResponseMessage> EditAsync(ApiUser user, long id, int baseVersion, string label) =>
        user.Client.PutAsJsonAsync($"/api/interpretations/{id}", new { baseVersion, label, description = "edited", tag = "syntax", confidence = 3 });

    [Fact]
    public async Task An_edit_from_a_stale_version_is_a_conflict_showing_both_versions_and_overwrites_nothing()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent);

        var first = await EditAsync(f.Ann, i.Id, 1, "Opening brackets");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var applied = (await first.Content.ReadFromJsonAsync<EditOutcomeView>())!;
        Assert.Equal(("Applied", 2), (applied.Outcome, applied.Interpretation.Version));

        var second = await EditAsync(f.Ann, i.Id, 1, "Closing brackets");
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var conflict = (await second.Content.ReadFromJsonAsync<EditConflict>())!;
        Assert.Equal(1, conflict.BaseVersion);
        Assert.Equal((2, "Opening brackets"), (conflict.Current.Version, conflict.Current.Label));
        Assert.Equal("Closing brackets", conflict.Proposed.Label);

        var versions = (await f.Ann.Client.GetFromJsonAsync<List<VersionView>>($"/api/interpretations/{i.Id}/versions"))!;
        Assert.Equal(["Fires on French nouns", "Opening brackets"], versions.Select(v => v.Label));
        await using var db = f.Harness.Db();
        Assert.Equal("Opening brackets", (await db.Interpretations.SingleAsync(x => x.Id == i.Id)).Label);
    }

    [Fact]
    public async Task Only_the_author_edits_an_interpretation()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent);
        var before = await f.Harness.FingerprintAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await EditAsync(f.Ben, i.Id, 1, "Hijacked")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await EditAsync(f.Admin, i.Id, 1, "Hijacked")).StatusCode);
        Assert.Equal(before, await f.Harness.FingerprintAsync());
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("[click](JaVaScRiPt:alert(1))")]
    [InlineData("[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)")]
    [InlineData("![x](javascript:alert(1))")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>")]
    [InlineData("<svg onload=alert(1)>")]
    public async Task Markdown_payloads_are_neutralised_in_the_html_the_api_returns(string markdown)
    {
        var latent = await f.Harness.SeedLatentAsync();
        var created = await LabellingHarness.CreateAsync(f.Ann, latent, "payload", markdown);
        var comment = await f.Ann.Client.PostAsJsonAsync($"/api/latents/{latent}/comments", new { body = markdown });
        Assert.Equal(HttpStatusCode.Created, comment.StatusCode);

        var panel = (await f.Ben.Client.GetFromJsonAsync<LatentLabelling>($"/api/latents/{latent}"))!;
        foreach (var html in new[] { created.DescriptionHtml, panel.Interpretations.Single().DescriptionHtml, panel.Comments.Single().BodyHtml })
        {
            Assert.DoesNotMatch(Dangerous(), html);
            Assert.NotEqual("", html.Trim());
        }
        Assert.Equal(markdown, panel.Interpretations.Single().Description);
    }

    /// <summary>A script or svg element, an event-handler attribute, or a javascript:/data: URL inside a tag.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"<\s*(script|svg)|<[^>]*\son\w+\s*=|<[^>]*(href|src)\s*=\s*[""']?\s*(javascript|data):", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex Dangerous();

    [Fact]
    public async Task A_one_megabyte_description_is_refused_with_a_message_and_nothing_is_written()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var before = await f.Harness.FingerprintAsync();
        var response = await f.Ann.Client.PostAsJsonAsync($"/api/latents/{latent}/interpretations",
            new { label = "big", description = new string('a', 1024 * 1024), confidence = 3 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("too long", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await f.Harness.FingerprintAsync());
    }

    [Theory]
    [InlineData("", 3, "label")]
    [InlineData("x", 9, "confidence")]
    public async Task Bad_labels_and_confidences_are_refused(string label, int confidence, string field)
    {
        var latent = await f.Harness.SeedLatentAsync();
        var response = await f.Ann.Client.PostAsJsonAsync($"/api/latents/{latent}/interpretations", new { label, confidence });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Consensus_on_the_latent_row_follows_votes_review_and_delete()
    {
        var (dictionaryId, latents) = await f.Harness.SeedLatentsAsync(2);
        var latent = latents[1];
        var a = await LabellingHarness.CreateAsync(f.Ann, latent, "Ann's label");
        var b = await LabellingHarness.CreateAsync(f.Ben, latent, "Ben's label");

        async Task<Latent> Row()
        {
            await using var db = f.Harness.Db();
            return await db.Latents.AsNoTracking().SingleAsync(l => l.Id == latent);
        }

        Assert.Equal(LabelStatus.Unlabelled, (await Row()).LabelStatus);
        await f.Ben.Client.PutAsJsonAsync($"/api/interpretations/{a.Id}/vote", new { value = 1 });
        var proposed = await Row();
        Assert.Equal((LabelStatus.Proposed, a.Id, "Ann's label", "lexical-token"), (proposed.LabelStatus, proposed.ConsensusInterpretationId, proposed.ConsensusLabel, proposed.ConsensusTag));

        var review = await f.Reviewer.Client.PostAsJsonAsync($"/api/interpretations/{b.Id}/review", new { decision = "Accepted" });
        Assert.Equal(HttpStatusCode.OK, review.StatusCode);
        var accepted = await Row();
        Assert.Equal((LabelStatus.Accepted, b.Id, "Ben's label"), (accepted.LabelStatus, accepted.ConsensusInterpretationId, accepted.ConsensusLabel));

        var page = (await f.Viewer.Client.GetFromJsonAsync<Page<SaeWorkbench.Research.Features.LatentListItem>>($"/api/dictionaries/{dictionaryId}/latents?take=1&skip=1"))!;
        Assert.Equal(2, page.Total);
        Assert.Equal(("Accepted", "Ben's label"), (page.Items.Single().Consensus.Status, page.Items.Single().Consensus.Label));
        var acceptedOnly = (await f.Viewer.Client.GetFromJsonAsync<Page<SaeWorkbench.Research.Features.LatentListItem>>($"/api/dictionaries/{dictionaryId}/latents?status=Accepted"))!;
        Assert.Equal([latent], acceptedOnly.Items.Select(l => l.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await f.Viewer.Client.GetAsync("/api/dictionaries/999999/latents")).StatusCode);
        var order = (await f.Viewer.Client.GetFromJsonAsync<List<InterpretationView>>($"/api/latents/{latent}/interpretations"))!;
        Assert.Equal([b.Id, a.Id], order.Select(i => i.Id));

        Assert.Equal(HttpStatusCode.OK, (await f.Admin.Client.DeleteAsync($"/api/interpretations/{b.Id}")).StatusCode);
        Assert.Equal((LabelStatus.Proposed, a.Id), ((await Row()).LabelStatus, (await Row()).ConsensusInterpretationId));
    }

    [Fact]
    public async Task A_review_by_a_Labeler_is_403_and_a_rejection_needs_a_reason()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent);
        var before = await f.Harness.FingerprintAsync();

        var byLabeler = await f.Ben.Client.PostAsJsonAsync($"/api/interpretations/{i.Id}/review", new { decision = "Accepted" });
        Assert.Equal(HttpStatusCode.Forbidden, byLabeler.StatusCode);
        var noReason = await f.Reviewer.Client.PostAsJsonAsync($"/api/interpretations/{i.Id}/review", new { decision = "Rejected" });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("Say why", await noReason.Content.ReadAsStringAsync());
        Assert.Equal(before, await f.Harness.FingerprintAsync());

        var rejected = await f.Reviewer.Client.PostAsJsonAsync($"/api/interpretations/{i.Id}/review", new { decision = "Rejected", reason = "Too broad." });
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        await using var db = f.Harness.Db();
        Assert.Contains(await db.Notifications.Where(n => n.UserId == f.Ann.Id).Select(n => n.Text).ToListAsync(), t => t.Contains("rejected"));
    }

    [Fact]
    public async Task Mentions_in_a_comment_notify_the_mentioned_users_only()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var response = await f.Ann.Client.PostAsJsonAsync($"/api/latents/{latent}/comments",
            new { body = "@ben and @VIC, look (not `@rita`, not ann@example.org, not @nobody)" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var comment = (await response.Content.ReadFromJsonAsync<CommentView>())!;

        await using var check = f.Harness.Db();
        var notified = await check.Notifications.Where(n => n.Link == $"/latents/{latent}").Select(n => n.UserId).ToListAsync();
        Assert.Equal(new[] { f.Ben.Id, f.Viewer.Id }.Order(), notified.Order());
        var audit = await check.AuditLog.SingleAsync(a => a.EntityType == "Comment" && a.EntityId == comment.Id.ToString());
        Assert.Equal(("comment.create", f.Ann.Id), (audit.Action, audit.UserId));
    }
}
