using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Crowd;

public sealed class CrowdApiTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    private async Task<long> ScopeAsync(long dictionaryId, string indices, bool blind, int n = 1)
    {
        var response = await f.Reviewer.Client.PostAsJsonAsync("/api/scopes",
            new { dictionaryId, name = "scope " + indices, kind = "List", definition = indices, isBlind = blind, labelsPerLatent = n, claimMinutes = 15 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ScopeView>())!.Id;
    }

    private async Task<int> IndexOfAsync(long latentId)
    {
        await using var db = f.Harness.Db();
        return await db.Latents.Where(l => l.Id == latentId).Select(l => l.Index).SingleAsync();
    }

    /// <summary>A hub client signed in with the user's API token that records every (event, latentId) it receives.</summary>
    private async Task<(HubConnection Connection, ConcurrentQueue<(string Name, long LatentId)> Seen)> ListenAsync(ApiUser user)
    {
        var server = f.Harness.Host.Server;
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "hubs/workbench"), o =>
            {
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.Headers["Authorization"] = "Bearer " + user.Token;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            })
            .Build();
        var seen = new ConcurrentQueue<(string, long)>();
        connection.On<string, JsonElement>("event", (name, payload) =>
        {
            if (payload.TryGetProperty("latentId", out var id)) seen.Enqueue((name, id.GetInt64()));
        });
        await connection.StartAsync();
        return (connection, seen);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition(), "timed out waiting for hub events");
    }

    [Fact]
    public async Task Blind_mode_hides_others_work_through_the_API_and_the_hub_until_the_labeller_submitted_their_own()
    {
        var (dictionaryId, latents) = await f.Harness.SeedLatentsAsync(2);
        var (blind, open) = (latents[0], latents[1]);
        await ScopeAsync(dictionaryId, (await IndexOfAsync(blind)).ToString(), blind: true);
        var (benHub, benSeen) = await ListenAsync(f.Ben);
        var (ritaHub, ritaSeen) = await ListenAsync(f.Reviewer);
        await using var _ = benHub;
        await using var __ = ritaHub;

        var annsBlind = await LabellingHarness.CreateAsync(f.Ann, blind, "years");
        await LabellingHarness.CreateAsync(f.Ann, open, "months");
        Assert.Equal(HttpStatusCode.OK, (await f.Reviewer.Client.PutAsJsonAsync($"/api/interpretations/{annsBlind.Id}/vote", new { value = 1 })).StatusCode);

        // The reviewer gets everything; Ben gets the open latent's event, and nothing about the blind one.
        await WaitForAsync(() => ritaSeen.Count(e => e.LatentId == blind) >= 3 && benSeen.Any(e => e.LatentId == open));
        await Task.Delay(300);
        Assert.DoesNotContain(benSeen, e => e.LatentId == blind);

        var benPanel = await f.Ben.Client.GetFromJsonAsync<JsonElement>($"/api/latents/{blind}");
        var benList = await f.Ben.Client.GetFromJsonAsync<JsonElement>($"/api/latents/{blind}/interpretations");
        var benLatents = await f.Ben.Client.GetFromJsonAsync<JsonElement>($"/api/dictionaries/{dictionaryId}/latents");
        var ritaPanel = await f.Reviewer.Client.GetFromJsonAsync<JsonElement>($"/api/latents/{blind}");
        Assert.Equal(0, benPanel.GetProperty("interpretations").GetArrayLength());
        Assert.Equal(InterpretationVisibility.HiddenStatus, benPanel.GetProperty("consensus").GetProperty("status").GetString());
        Assert.DoesNotContain("years", benPanel.GetRawText());
        Assert.Equal(0, benList.GetArrayLength());
        var rows = benLatents.GetProperty("items").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetInt64(), r => r.GetProperty("consensus"));
        Assert.Equal(InterpretationVisibility.HiddenStatus, rows[blind].GetProperty("status").GetString());
        Assert.Equal("Unlabelled", rows[open].GetProperty("status").GetString());
        Assert.Equal("years", ritaPanel.GetProperty("consensus").GetProperty("label").GetString());
        // The prerendered feature page hides it from Ben too (its header and its labelling panel).
        var pageUrl = $"/dictionaries/{dictionaryId}/features/{await IndexOfAsync(blind)}";
        Assert.Contains("years", await f.Reviewer.Client.GetStringAsync(pageUrl));
        Assert.DoesNotContain("years", await f.Ben.Client.GetStringAsync(pageUrl));

        // Once Ben has written his own, he sees Ann's, and the hub sends him the latent's events.
        await LabellingHarness.CreateAsync(f.Ben, blind, "numbers");
        var after = await f.Ben.Client.GetFromJsonAsync<JsonElement>($"/api/latents/{blind}");
        Assert.Equal(2, after.GetProperty("interpretations").GetArrayLength());
        Assert.Equal("years", after.GetProperty("consensus").GetProperty("label").GetString());
        Assert.Contains("years", await f.Ben.Client.GetStringAsync(pageUrl));
        Assert.Equal(HttpStatusCode.OK, (await f.Reviewer.Client.PutAsJsonAsync($"/api/interpretations/{annsBlind.Id}/vote", new { value = -1 })).StatusCode);
        await WaitForAsync(() => benSeen.Any(e => e.LatentId == blind && e.Name == "voteChanged"));
    }

    [Fact]
    public async Task Queue_endpoints_check_roles_answer_clearly_and_are_audited()
    {
        var (dictionaryId, latents) = await f.Harness.SeedLatentsAsync(2);
        var indices = $"{await IndexOfAsync(latents[0])}, {await IndexOfAsync(latents[1])}";

        var byLabeler = await f.Ann.Client.PostAsJsonAsync("/api/scopes", new { dictionaryId, name = "mine", kind = "Dictionary", isBlind = false });
        var badKind = await f.Reviewer.Client.PostAsJsonAsync("/api/scopes", new { dictionaryId, name = "x", kind = "Everything", isBlind = false });
        var scope = await ScopeAsync(dictionaryId, indices, blind: false);
        var byViewer = await f.Viewer.Client.PostAsync($"/api/scopes/{scope}/next", null);
        var next = await f.Ann.Client.PostAsync($"/api/scopes/{scope}/next", null);
        var assignment = (await next.Content.ReadFromJsonAsync<QueueNext>())!.Assignment!;
        var noReason = await f.Ann.Client.PostAsJsonAsync($"/api/scopes/{scope}/skip", new { latentId = assignment.LatentId, reason = "" });
        var skip = await f.Ann.Client.PostAsJsonAsync($"/api/scopes/{scope}/skip", new { latentId = assignment.LatentId, reason = "Too few examples to judge" });
        var missing = await f.Ann.Client.PostAsync("/api/scopes/999999/next", null);
        var progress = await f.Viewer.Client.GetFromJsonAsync<ScopeProgressView>($"/api/scopes/{scope}/progress");
        var agreement = await f.Viewer.Client.GetAsync($"/api/scopes/{scope}/agreement");

        Assert.Equal(HttpStatusCode.Forbidden, byLabeler.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badKind.StatusCode);
        Assert.Contains("Dictionary, Filter or List", await badKind.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, byViewer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("Say why you are skipping this latent.", await noReason.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, skip.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var ann = Assert.Single(progress!.People);
        Assert.Equal(("ann", 0, 1, 1), (ann.UserName, ann.Labelled, ann.Skipped, ann.Remaining));
        Assert.Equal(HttpStatusCode.OK, agreement.StatusCode);
        await using var db = f.Harness.Db();
        var actions = await db.AuditLog.Where(a => a.EntityType == "LabellingScope" && a.EntityId == scope.ToString()).Select(a => a.Action).ToListAsync();
        Assert.Equal(["queue.claim", "queue.skip", "scope.create"], actions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Looking_claims_nothing_back_edits_my_submission_and_the_reviewer_queue_decides_inline()
    {
        var (dictionaryId, latents) = await f.Harness.SeedLatentsAsync(2);
        var indices = string.Join(",", await Task.WhenAll(latents.Select(IndexOfAsync)));
        var scope = await ScopeAsync(dictionaryId, indices, blind: true);

        var look = await f.Ann.Client.GetFromJsonAsync<QueueLook>($"/api/scopes/{scope}/look");
        int claimsAfterLook;
        await using (var db = f.Harness.Db()) claimsAfterLook = await db.QueueClaims.CountAsync(c => c.ScopeId == scope);
        var next = (await (await f.Ann.Client.PostAsync($"/api/scopes/{scope}/next?includeDense=false", null)).Content.ReadFromJsonAsync<QueueNext>())!;
        var created = await LabellingHarness.CreateAsync(f.Ann, next.Assignment!.LatentId, "years");
        var mine = await f.Ann.Client.GetFromJsonAsync<List<QueueSubmission>>($"/api/scopes/{scope}/submissions");
        var back = await f.Ann.Client.PutAsJsonAsync($"/api/scopes/{scope}/submissions/{created.Id}",
            new { baseVersion = 1, label = "calendar years", description = "", confidence = 4, tag = "entity" });
        var stale = await f.Ann.Client.PutAsJsonAsync($"/api/scopes/{scope}/submissions/{created.Id}",
            new { baseVersion = 1, label = "an old tab", description = "", confidence = 4, tag = "entity" });
        var byLabeller = await f.Ben.Client.GetAsync($"/api/scopes/{scope}/reviews");
        var pending = await f.Reviewer.Client.GetFromJsonAsync<List<ReviewQueueItem>>($"/api/scopes/{scope}/reviews");
        var rejectWithoutReason = await f.Reviewer.Client.PostAsJsonAsync($"/api/scopes/{scope}/reviews/{created.Id}", new { decision = "Rejected" });
        var accept = await f.Reviewer.Client.PostAsJsonAsync($"/api/scopes/{scope}/reviews/{created.Id}", new { decision = "Accepted" });
        var after = await f.Reviewer.Client.GetFromJsonAsync<List<ReviewQueueItem>>($"/api/scopes/{scope}/reviews");

        Assert.Null(look!.Held);
        Assert.Equal(next.Assignment.LatentId, look.Next!.LatentId);
        Assert.Equal(0, claimsAfterLook);
        Assert.Equal(["years"], mine!.Select(m => m.Label));
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byLabeller.StatusCode);
        Assert.Equal("calendar years", pending!.Single().Label);
        Assert.Equal(HttpStatusCode.BadRequest, rejectWithoutReason.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        Assert.Empty(after!);
    }
}
