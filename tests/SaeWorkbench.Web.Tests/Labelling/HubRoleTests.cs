using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Accounts;

namespace SaeWorkbench.Web.Tests.Labelling;

/// <summary>Every hub write is enforced by role on the server, like the API, and a refusal changes nothing.</summary>
public sealed class HubRoleTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    /// <summary>Every hub write method and the least role that may call it.</summary>
    public static TheoryData<string, string> WriteMethods => new()
    {
        { "CreateInterpretation", WorkbenchRoles.Labeler },
        { "EditInterpretation", WorkbenchRoles.Labeler },
        { "DeleteInterpretation", WorkbenchRoles.Admin },
        { "Vote", WorkbenchRoles.Labeler },
        { "Review", WorkbenchRoles.Reviewer },
        { "Comment", WorkbenchRoles.Labeler },
    };

    private static Task<HubAnswer> Invoke(HubConnection hub, string method, long latent, long interpretation)
    {
        var input = new { label = "via the hub", description = "d", tag = (string?)null, confidence = 3 };
        return method switch
        {
            "CreateInterpretation" => hub.InvokeAsync<HubAnswer>(method, latent, input),
            "EditInterpretation" => hub.InvokeAsync<HubAnswer>(method, interpretation, 1, input),
            "DeleteInterpretation" => hub.InvokeAsync<HubAnswer>(method, interpretation),
            "Vote" => hub.InvokeAsync<HubAnswer>(method, interpretation, (int?)1),
            "Review" => hub.InvokeAsync<HubAnswer>(method, interpretation, "Accepted", "fine"),
            "Comment" => hub.InvokeAsync<HubAnswer>(method, latent, "a comment", (long?)null),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
    }

    [Theory]
    [MemberData(nameof(WriteMethods))]
    public async Task Hub_writes_refuse_roles_below_theirs_without_changing_anything_and_accept_theirs(string method, string role)
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent);
        await using var viewer = await HubClients.ConnectAsync(f.Harness, f.Viewer.Token);
        await using var ben = await HubClients.ConnectAsync(f.Harness, f.Ben.Token);
        await using var reviewer = await HubClients.ConnectAsync(f.Harness, f.Reviewer.Token);
        var before = await f.Harness.FingerprintAsync();

        var refused = new List<HubAnswer> { await Invoke(viewer, method, latent, i.Id) };
        if (role is WorkbenchRoles.Reviewer or WorkbenchRoles.Admin) refused.Add(await Invoke(ben, method, latent, i.Id));
        if (role is WorkbenchRoles.Admin) refused.Add(await Invoke(reviewer, method, latent, i.Id));
        foreach (var answer in refused)
        {
            Assert.Equal("Forbidden", answer.Outcome);
            Assert.Contains("cannot", answer.Errors["role"]);
        }
        Assert.Equal(before, await f.Harness.FingerprintAsync());

        var allowed = role switch { WorkbenchRoles.Admin => f.Admin, WorkbenchRoles.Reviewer => f.Reviewer, _ => f.Ann };
        if (method == "Vote") allowed = f.Ben; // not on one's own interpretation
        await using var hub = await HubClients.ConnectAsync(f.Harness, allowed.Token);
        var ok = await Invoke(hub, method, latent, i.Id);
        Assert.True(ok.Outcome == "Ok", $"{method} by {role}: {ok.Outcome} {string.Join("; ", ok.Errors.Values)}");
        Assert.NotEqual(before, await f.Harness.FingerprintAsync());
    }

    [Fact]
    public async Task A_hub_connection_acts_with_the_users_current_role_not_the_one_it_connected_with()
    {
        var user = await f.Harness.UserAsync("demoted-" + Guid.NewGuid().ToString("N")[..8], WorkbenchRoles.Labeler);
        var latent = await f.Harness.SeedLatentAsync();
        await using var hub = await HubClients.ConnectAsync(f.Harness, user.Token);
        Assert.Equal("Ok", (await Invoke(hub, "Comment", latent, 0)).Outcome);
        await using (var scope = f.Harness.Host.Services.CreateAsyncScope())
            Assert.Empty(await scope.ServiceProvider.GetRequiredService<AccountService>().SetRoleAsync(user.Id, WorkbenchRoles.Viewer));
        var before = await f.Harness.FingerprintAsync();
        Assert.Equal("Forbidden", (await Invoke(hub, "Comment", latent, 0)).Outcome);
        Assert.Equal(before, await f.Harness.FingerprintAsync());
    }

    [Fact]
    public async Task Hub_answers_bad_input_and_conflicts_with_clear_messages()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent);
        await using var ann = await HubClients.ConnectAsync(f.Harness, f.Ann.Token);
        await using var reviewer = await HubClients.ConnectAsync(f.Harness, f.Reviewer.Token);
        var before = await f.Harness.FingerprintAsync();

        var empty = await ann.InvokeAsync<HubAnswer>("CreateInterpretation", latent, new { label = "  ", description = "", tag = (string?)null, confidence = 3 });
        Assert.Equal("Invalid", empty.Outcome);
        Assert.True(empty.Errors.ContainsKey("label"));
        var decision = await reviewer.InvokeAsync<HubAnswer>("Review", i.Id, "Maybe", "hm");
        Assert.Equal("Invalid", decision.Outcome);
        Assert.Contains("Accepted, Rejected or Pending", decision.Errors["decision"]);
        var missing = await ann.InvokeAsync<HubAnswer>("Vote", 987654321L, (int?)1);
        Assert.Equal("NotFound", missing.Outcome);
        Assert.Equal(before, await f.Harness.FingerprintAsync());

        var first = await ann.InvokeAsync<HubAnswer>("EditInterpretation", i.Id, 1, new { label = "first edit", description = "", tag = (string?)null, confidence = 3 });
        Assert.Equal("Ok", first.Outcome);
        var stale = await ann.InvokeAsync<HubAnswer>("EditInterpretation", i.Id, 1, new { label = "stale edit", description = "", tag = (string?)null, confidence = 3 });
        Assert.Equal("Conflict", stale.Outcome);
        Assert.Equal(("first edit", 2, "stale edit"), (stale.Conflict!.Current.Label, stale.Conflict.Current.Version, stale.Conflict.Proposed.Label));
        await using var db = f.Harness.Db();
        Assert.Equal("first edit", (await db.Interpretations.SingleAsync(x => x.Id == i.Id)).Label);
    }

    [Fact]
    public async Task Latent_presence_through_the_hub_lists_each_viewer_once_and_forgets_closed_connections()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var ann = await HubClients.ConnectAsync(f.Harness, f.Ann.Token);
        await using var ben = await HubClients.ConnectAsync(f.Harness, f.Ben.Token);
        await using var benAgain = await HubClients.ConnectAsync(f.Harness, f.Ben.Token);
        Assert.Equal(["ann"], await ann.InvokeAsync<List<string>>("JoinLatent", latent));
        await ben.InvokeAsync<List<string>>("JoinLatent", latent);
        Assert.Equal(["ann", "ben"], await benAgain.InvokeAsync<List<string>>("JoinLatent", latent));
        await ben.InvokeAsync("LeaveLatent", latent);
        Assert.Equal(["ann", "ben"], await ben.InvokeAsync<List<string>>("GetLatentViewers", latent)); // ben's other tab
        await ann.DisposeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        List<string> viewers;
        do viewers = await ben.InvokeAsync<List<string>>("GetLatentViewers", latent);
        while (viewers.Contains("ann") && DateTime.UtcNow < deadline && await Task.Delay(50).ContinueWith(_ => true));
        Assert.Equal(["ben"], viewers);
    }
}

/// <summary>§5: hub clients get labelling events live; a notification reaches only its user's connections.</summary>
public sealed class HubEventTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    [Fact]
    public async Task Notifications_reach_only_the_mentioned_users_connections_while_labelling_events_reach_everyone()
    {
        var latent = await f.Harness.SeedLatentAsync();
        await using var ben = await HubClients.ConnectAsync(f.Harness, f.Ben.Token);
        await using var vic = await HubClients.ConnectAsync(f.Harness, f.Viewer.Token);
        var benEvents = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var vicEvents = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var benNotified = new TaskCompletionSource<System.Text.Json.JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var vicSawComment = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ben.On<string, System.Text.Json.JsonElement>("event", (name, payload) =>
        {
            benEvents.Enqueue(name);
            if (name == "notification") benNotified.TrySetResult(payload);
        });
        vic.On<string, System.Text.Json.JsonElement>("event", (name, payload) =>
        {
            vicEvents.Enqueue(name);
            if (name == "commentAdded" && payload.GetProperty("latentId").GetInt64() == latent) vicSawComment.TrySetResult();
        });

        var response = await f.Ann.Client.PostAsJsonAsync($"/api/latents/{latent}/comments", new { body = "@ben have a look" });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var notification = await benNotified.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("ann mentioned you", notification.GetProperty("text").GetString());
        await vicSawComment.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(200); // anything for vic would have arrived with the comment event
        Assert.DoesNotContain("notification", vicEvents);
    }
}
