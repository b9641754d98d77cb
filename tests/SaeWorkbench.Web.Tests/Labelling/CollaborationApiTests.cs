using Microsoft.AspNetCore.SignalR.Client;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Collaboration;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Tests.Labelling;

/// <summary>Audited role changes, the Admin's labelling settings, notifications, and soft deletes in the audit.</summary>
public sealed class CollaborationApiTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    [Fact]
    public async Task Role_changes_are_Admin_only_and_audited_with_the_roles_before_and_after()
    {
        var user = await f.Harness.UserAsync("promote-" + Guid.NewGuid().ToString("N")[..8], WorkbenchRoles.Viewer);
        var before = await f.Harness.FingerprintAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Reviewer.Client.PutAsJsonAsync($"/api/admin/users/{user.Id}/role", new { role = WorkbenchRoles.Admin })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await f.Admin.Client.PutAsJsonAsync($"/api/admin/users/{user.Id}/role", new { role = "Overlord" })).StatusCode);
        Assert.Equal(before, await f.Harness.FingerprintAsync());

        Assert.Equal(HttpStatusCode.NoContent, (await f.Admin.Client.PutAsJsonAsync($"/api/admin/users/{user.Id}/role", new { role = WorkbenchRoles.Reviewer })).StatusCode);
        // Setting the role it already has writes nothing.
        Assert.Equal(HttpStatusCode.NoContent, (await f.Admin.Client.PutAsJsonAsync($"/api/admin/users/{user.Id}/role", new { role = WorkbenchRoles.Reviewer })).StatusCode);

        var audit = (await f.Admin.Client.GetFromJsonAsync<Page<AuditRow>>($"/api/audit?action=user.role&entityId={user.Id}&userId={f.Admin.Id}"))!;
        var row = Assert.Single(audit.Items);
        Assert.Equal(("User", "admin"), (row.EntityType, row.UserName));
        Assert.Equal([WorkbenchRoles.Viewer], JsonDocument.Parse(row.BeforeJson!).RootElement.GetProperty("roles").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([WorkbenchRoles.Reviewer], JsonDocument.Parse(row.AfterJson!).RootElement.GetProperty("roles").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Labelling_settings_are_Admin_only_validated_audited_and_move_the_consensus()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent); // tag lexical-token
        Assert.Equal(HttpStatusCode.OK, (await f.Ben.Client.PutAsJsonAsync($"/api/interpretations/{i.Id}/vote", new { value = 1 })).StatusCode);
        await using (var db = f.Harness.Db())
            Assert.Equal(LabelStatus.Proposed, (await db.Latents.SingleAsync(l => l.Id == latent)).LabelStatus); // score 1 reaches threshold 1

        var current = (await f.Admin.Client.GetFromJsonAsync<LabellingSettingsView>("/api/admin/settings/labelling"))!;
        Assert.Equal(Taxonomy.Default.Tags.Select(t => t.Key), current.Tags.Select(t => t.Key));
        var before = await f.Harness.FingerprintAsync();
        var auditBefore = await AuditCountAsync();

        Assert.Equal(HttpStatusCode.Forbidden, (await f.Reviewer.Client.PutAsJsonAsync("/api/admin/settings/labelling", new { tags = current.Tags, consensusThreshold = 2 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Reviewer.Client.GetAsync("/api/admin/settings/labelling")).StatusCode);
        await AssertRefused(new { tags = current.Tags, consensusThreshold = 0 }, "consensusThreshold");
        await AssertRefused(new { tags = Array.Empty<TaxonomyTag>(), consensusThreshold = 2 }, "tags");
        await AssertRefused(new { tags = current.Tags.Append(current.Tags[0]).ToArray(), consensusThreshold = 2 }, "tags[7].key");
        await AssertRefused(new { tags = new[] { new TaxonomyTag("Bad Key", "x", "") }, consensusThreshold = 2 }, "tags[0].key");
        // lexical-token is on the interpretation above: it cannot silently vanish.
        var inUse = await AssertRefused(new { tags = current.Tags.Skip(1).ToArray(), consensusThreshold = 2 }, "tags");
        Assert.Contains("lexical-token (", inUse);
        Assert.Equal(before, await f.Harness.FingerprintAsync());
        Assert.Equal(auditBefore, await AuditCountAsync());

        var renamed = current.Tags.Select(t => t.Key == "entity" ? t with { Name = "named entity" } : t).Append(new TaxonomyTag("numbers", "numbers", "Digits and number words.")).ToArray();
        var saved = await f.Admin.Client.PutAsJsonAsync("/api/admin/settings/labelling", new { tags = renamed, consensusThreshold = 2 });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var after = (await f.Admin.Client.GetFromJsonAsync<LabellingSettingsView>("/api/admin/settings/labelling"))!;
        Assert.Equal((2, "named entity", "numbers"), (after.ConsensusThreshold, after.Tags.Single(t => t.Key == "entity").Name, after.Tags[^1].Key));
        await using (var db = f.Harness.Db())
        {
            // Score 1 no longer reaches threshold 2: the one consensus function moved the latent back to unlabelled.
            var row = await db.Latents.SingleAsync(l => l.Id == latent);
            Assert.Equal((LabelStatus.Unlabelled, (string?)null), (row.LabelStatus, row.ConsensusLabel));
            var audit = await db.AuditLog.Where(a => a.Action == "settings.update").OrderByDescending(a => a.Id).FirstAsync();
            Assert.Equal(f.Admin.Id, audit.UserId);
            Assert.Contains("\"consensusThreshold\":1", audit.BeforeJson);
            Assert.Contains("\"consensusThreshold\":2", audit.AfterJson);
            Assert.Contains("named entity", audit.AfterJson);
        }
        Assert.Equal(auditBefore + 1, await AuditCountAsync());
        // The new tag is usable on interpretations; an unknown one is refused.
        var tagged = await f.Ann.Client.PostAsJsonAsync($"/api/latents/{latent}/interpretations", new { label = "counts", tag = "numbers", confidence = 3 });
        Assert.Equal(HttpStatusCode.Created, tagged.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await f.Ann.Client.PostAsJsonAsync($"/api/latents/{latent}/interpretations", new { label = "x", tag = "nope", confidence = 3 })).StatusCode);

        // Back to threshold 1 (other tests in this class share the workspace): the latent is proposed again.
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.Client.PutAsJsonAsync("/api/admin/settings/labelling", new { tags = renamed, consensusThreshold = 1 })).StatusCode);
        await using (var db = f.Harness.Db())
            Assert.Equal(LabelStatus.Proposed, (await db.Latents.SingleAsync(l => l.Id == latent)).LabelStatus);
    }

    private async Task<string> AssertRefused(object body, string field)
    {
        var response = await f.Admin.Client.PutAsJsonAsync("/api/admin/settings/labelling", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var message), text);
        return message[0].GetString()!;
    }

    private async Task<int> AuditCountAsync()
    {
        await using var db = f.Harness.Db();
        return await db.AuditLog.CountAsync();
    }

    [Fact]
    public async Task Mentions_notify_the_mentioned_user_who_alone_reads_and_marks_them_read()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var before = (await f.Ben.Client.GetFromJsonAsync<NotificationInbox>("/api/notifications"))!;
        Assert.Equal(HttpStatusCode.Created, (await f.Ann.Client.PostAsJsonAsync($"/api/latents/{latent}/comments", new { body = "what do you think, @ben?" })).StatusCode);
        var inbox = (await f.Ben.Client.GetFromJsonAsync<NotificationInbox>("/api/notifications"))!;
        Assert.Equal(before.Unread + 1, inbox.Unread);
        var n = inbox.Items[0];
        Assert.Equal(($"/latents/{latent}", (DateTimeOffset?)null), (n.Link, n.ReadAt));
        Assert.Contains("ann mentioned you", n.Text);

        // Not someone else's: 404, and nothing changes.
        var fingerprint = await f.Harness.FingerprintAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await f.Ann.Client.PostAsync($"/api/notifications/{n.Id}/read", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Harness.ClientWith(null).PostAsync($"/api/notifications/{n.Id}/read", null)).StatusCode);
        Assert.Equal(fingerprint, await f.Harness.FingerprintAsync());

        Assert.Equal(HttpStatusCode.OK, (await f.Ben.Client.PostAsync($"/api/notifications/{n.Id}/read", null)).StatusCode);
        var read = (await f.Ben.Client.GetFromJsonAsync<NotificationInbox>("/api/notifications"))!;
        Assert.Equal(inbox.Unread - 1, read.Unread);
        Assert.NotNull(read.Items.Single(x => x.Id == n.Id).ReadAt);
        await using var db = f.Harness.Db();
        Assert.Equal(f.Ben.Id, (await db.AuditLog.SingleAsync(a => a.Action == "notification.read" && a.EntityId == n.Id.ToString())).UserId);

        Assert.Equal(HttpStatusCode.OK, (await f.Ben.Client.PostAsync("/api/notifications/read-all", null)).StatusCode);
        Assert.Equal(0, (await f.Ben.Client.GetFromJsonAsync<NotificationInbox>("/api/notifications"))!.Unread);
    }

    [Fact]
    public async Task A_deleted_interpretation_leaves_the_panel_but_the_audit_and_its_history_keep_it()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent, "to be deleted");
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.Client.DeleteAsync($"/api/interpretations/{i.Id}")).StatusCode);

        var panel = (await f.Viewer.Client.GetFromJsonAsync<LatentLabelling>($"/api/latents/{latent}"))!;
        Assert.DoesNotContain(panel.Interpretations, x => x.Id == i.Id);
        var audit = (await f.Admin.Client.GetFromJsonAsync<Page<AuditRow>>($"/api/audit?action=interpretation.delete&entityId={i.Id}"))!;
        var row = Assert.Single(audit.Items);
        Assert.False(JsonDocument.Parse(row.BeforeJson!).RootElement.GetProperty("isDeleted").GetBoolean());
        var after = JsonDocument.Parse(row.AfterJson!).RootElement;
        Assert.True(after.GetProperty("isDeleted").GetBoolean());
        Assert.Equal("to be deleted", after.GetProperty("label").GetString());
        var versions = (await f.Admin.Client.GetFromJsonAsync<List<VersionView>>($"/api/interpretations/{i.Id}/versions"))!;
        Assert.Equal("to be deleted", Assert.Single(versions).Label);
        var csv = await f.Admin.Client.GetStringAsync($"/api/audit/export?format=csv&action=interpretation.delete&entityId={i.Id}");
        Assert.Equal(2, csv.Trim().Split('\n').Length);
        Assert.Contains("to be deleted", csv);
    }

    [Fact]
    public async Task Viewers_of_a_latent_are_readable_by_signed_in_users_only()
    {
        var latent = await f.Harness.SeedLatentAsync();
        await using var hub = await HubClients.ConnectAsync(f.Harness, f.Ann.Token);
        await hub.InvokeAsync<List<string>>("JoinLatent", latent);
        Assert.Equal(["ann"], await f.Viewer.Client.GetFromJsonAsync<List<string>>($"/api/latents/{latent}/viewers"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Harness.ClientWith(null).GetAsync($"/api/latents/{latent}/viewers")).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_settings_notifications_and_viewers()
    {
        using var doc = JsonDocument.Parse(await f.Harness.ClientWith(null).GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/admin/settings/labelling", "/api/notifications", "/api/notifications/{id}/read", "/api/notifications/read-all", "/api/latents/{latentId}/viewers" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
    }
}
