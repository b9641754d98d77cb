using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Tests.Labelling;

public sealed class LabellingSecurityTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    /// <summary>Every write endpoint with a valid body and the least role that may call it.</summary>
    public static TheoryData<string, string, string> WriteEndpoints => new()
    {
        { "POST", "/api/latents/{latent}/interpretations", WorkbenchRoles.Labeler },
        { "PUT", "/api/interpretations/{interpretation}", WorkbenchRoles.Labeler },
        { "DELETE", "/api/interpretations/{interpretation}", WorkbenchRoles.Admin },
        { "PUT", "/api/interpretations/{interpretation}/vote", WorkbenchRoles.Labeler },
        { "DELETE", "/api/interpretations/{interpretation}/vote", WorkbenchRoles.Labeler },
        { "POST", "/api/interpretations/{interpretation}/review", WorkbenchRoles.Reviewer },
        { "POST", "/api/latents/{latent}/comments", WorkbenchRoles.Labeler },
    };

    private static HttpRequestMessage Request(string method, string template, long latent, long interpretation)
    {
        var path = template.Replace("{latent}", latent.ToString()).Replace("{interpretation}", interpretation.ToString());
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "DELETE")
            request.Content = JsonContent.Create(new
            {
                label = "a label", description = "d", confidence = 3, baseVersion = 1, value = 1,
                decision = "Accepted", reason = "fine", body = "a comment",
            });
        return request;
    }

    [Theory]
    [MemberData(nameof(WriteEndpoints))]
    public async Task Write_endpoints_answer_401_to_anonymous_and_revoked_tokens_and_403_to_roles_below_theirs(string method, string template, string role)
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent);
        var revoked = await f.Harness.UserAsync("revoked-" + Guid.NewGuid().ToString("N")[..8], WorkbenchRoles.Admin);
        Assert.Equal(HttpStatusCode.OK, (await revoked.Client.DeleteAsync($"/api/tokens/{revoked.TokenId}")).StatusCode);
        var before = await f.Harness.FingerprintAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Harness.ClientWith(null).SendAsync(Request(method, template, latent, i.Id))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.Client.SendAsync(Request(method, template, latent, i.Id))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Harness.ClientWith("sae_not-a-real-token").SendAsync(Request(method, template, latent, i.Id))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Viewer.Client.SendAsync(Request(method, template, latent, i.Id))).StatusCode);
        if (role is WorkbenchRoles.Reviewer or WorkbenchRoles.Admin)
            Assert.Equal(HttpStatusCode.Forbidden, (await f.Ben.Client.SendAsync(Request(method, template, latent, i.Id))).StatusCode);
        if (role is WorkbenchRoles.Admin)
            Assert.Equal(HttpStatusCode.Forbidden, (await f.Reviewer.Client.SendAsync(Request(method, template, latent, i.Id))).StatusCode);
        Assert.Equal(before, await f.Harness.FingerprintAsync());

        var allowed = role switch { WorkbenchRoles.Admin => f.Admin, WorkbenchRoles.Reviewer => f.Reviewer, _ => f.Ann };
        if (template.EndsWith("/vote")) allowed = f.Ben; // not on one's own interpretation
        var response = await allowed.Client.SendAsync(Request(method, template, latent, i.Id));
        Assert.True(response.IsSuccessStatusCode, $"{method} {template} by {role}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task A_token_acts_with_its_owners_current_role()
    {
        var user = await f.Harness.UserAsync("promoted-" + Guid.NewGuid().ToString("N")[..8], WorkbenchRoles.Viewer);
        var latent = await f.Harness.SeedLatentAsync();
        var body = new { label = "x", confidence = 3 };
        Assert.Equal(HttpStatusCode.Forbidden, (await user.Client.PostAsJsonAsync($"/api/latents/{latent}/interpretations", body)).StatusCode);
        await using (var scope = f.Harness.Host.Services.CreateAsyncScope())
            Assert.Empty(await scope.ServiceProvider.GetRequiredService<SaeWorkbench.Research.Accounts.AccountService>().SetRoleAsync(user.Id, WorkbenchRoles.Labeler));
        Assert.Equal(HttpStatusCode.Created, (await user.Client.PostAsJsonAsync($"/api/latents/{latent}/interpretations", body)).StatusCode);
    }

    [Fact]
    public async Task Tokens_are_shown_once_stored_as_sha256_listed_without_the_secret_and_revocable()
    {
        var client = f.Harness.Host.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(client, "ann", LabellingHarness.Password)).StatusCode);

        var created = await client.PostAsJsonAsync("/api/tokens", new { name = "laptop" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = (await created.Content.ReadFromJsonAsync<CreatedApiToken>())!;
        Assert.StartsWith("sae_", token.Token);
        Assert.Equal(token.Token[..12], token.Info.Prefix);

        await using (var db = f.Harness.Db())
        {
            var row = await db.ApiTokens.SingleAsync(t => t.Id == token.Info.Id);
            Assert.Equal(ApiTokenService.Hash(token.Token), row.Sha256);
            Assert.DoesNotContain(token.Token, JsonSerializer.Serialize(row));
        }
        var listed = await client.GetStringAsync("/api/tokens");
        Assert.Contains("laptop", listed);
        Assert.DoesNotContain(token.Token, listed);

        var withToken = f.Harness.ClientWith(token.Token);
        Assert.Equal(HttpStatusCode.OK, (await withToken.GetAsync("/api/tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await withToken.PostAsJsonAsync("/api/tokens", new { name = "minted" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/tokens/{token.Info.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withToken.GetAsync("/api/tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await f.Ben.Client.DeleteAsync($"/api/tokens/{f.Ann.TokenId}")).StatusCode);
    }

    [Fact]
    public async Task The_audit_has_exactly_one_entry_per_accepted_write_and_none_for_refused_ones()
    {
        var latent = await f.Harness.SeedLatentAsync();
        await using var db = f.Harness.Db();
        var start = await db.AuditLog.CountAsync();

        var i = await LabellingHarness.CreateAsync(f.Ann, latent);                                                        // 1
        await f.Ann.Client.PutAsJsonAsync($"/api/interpretations/{i.Id}", new { baseVersion = 1, label = "v2", confidence = 2 }); // 2
        await f.Ann.Client.PutAsJsonAsync($"/api/interpretations/{i.Id}", new { baseVersion = 1, label = "v3", confidence = 2 }); // conflict
        await f.Ann.Client.PutAsJsonAsync($"/api/interpretations/{i.Id}", new { baseVersion = 2, label = "v2", confidence = 2 }); // unchanged
        await f.Ben.Client.PutAsJsonAsync($"/api/interpretations/{i.Id}/vote", new { value = 1 });                          // 3
        await f.Ben.Client.PutAsJsonAsync($"/api/interpretations/{i.Id}/vote", new { value = 1 });                          // unchanged
        await f.Ann.Client.PutAsJsonAsync($"/api/interpretations/{i.Id}/vote", new { value = 1 });                          // refused
        await f.Ben.Client.PostAsJsonAsync($"/api/latents/{latent}/comments", new { body = "agreed" });                     // 4
        await f.Ben.Client.PostAsJsonAsync($"/api/latents/{latent}/comments", new { body = " " });                          // refused
        await f.Reviewer.Client.PostAsJsonAsync($"/api/interpretations/{i.Id}/review", new { decision = "Accepted" });      // 5
        await f.Admin.Client.DeleteAsync($"/api/interpretations/{i.Id}");                                                  // 6

        Assert.Equal(6, await db.AuditLog.CountAsync() - start);
        var query = (await f.Admin.Client.GetFromJsonAsync<Page<SaeWorkbench.Research.Audit.AuditRow>>($"/api/audit?entityType=Interpretation&entityId={i.Id}"))!;
        Assert.Equal(["interpretation.delete", "review.accepted", "interpretation.edit", "interpretation.create"], query.Items.Select(r => r.Action));
        var delete = query.Items[0];
        Assert.Contains("\"isDeleted\":false", delete.BeforeJson);
        Assert.Contains("\"isDeleted\":true", delete.AfterJson);

        var soon = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"));
        var future = (await f.Admin.Client.GetFromJsonAsync<Page<SaeWorkbench.Research.Audit.AuditRow>>($"/api/audit?entityId={i.Id}&entityType=Interpretation&from={soon}"))!;
        var past = (await f.Admin.Client.GetFromJsonAsync<Page<SaeWorkbench.Research.Audit.AuditRow>>($"/api/audit?entityId={i.Id}&entityType=Interpretation&to={soon}"))!;
        Assert.Equal((0, 4), (future.Total, past.Total));
        var byUser = (await f.Admin.Client.GetFromJsonAsync<Page<SaeWorkbench.Research.Audit.AuditRow>>($"/api/audit?userId={f.Reviewer.Id}&action=review.accepted"))!;
        Assert.Contains(byUser.Items, r => r.EntityId == i.Id.ToString());
        Assert.All(byUser.Items, r => Assert.Equal(("rita", "review.accepted"), (r.UserName, r.Action)));
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Reviewer.Client.GetAsync("/api/audit")).StatusCode);
        var csv = await f.Admin.Client.GetStringAsync($"/api/audit/export?format=csv&userId={f.Ben.Id}");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id,at,userId", lines[0]);
        Assert.Contains(lines, l => l.Contains("\"comment.create\""));
        Assert.All(lines.Skip(1), l => Assert.Contains(f.Ben.Id, l));
        var jsonl = await f.Admin.Client.GetStringAsync($"/api/audit/export?format=jsonl&action=vote.cast&entityId={i.Id}:{f.Ben.Id}");
        var entry = JsonDocument.Parse(jsonl.Trim()).RootElement;
        Assert.Equal("ben", entry.GetProperty("userName").GetString());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_labelling_api_to_anyone()
    {
        var json = await f.Harness.ClientWith(null).GetStringAsync("/openapi/v1.json");
        using var doc = JsonDocument.Parse(json);
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/dictionaries/{dictionaryId}/latents", "/api/latents/{latentId}/interpretations", "/api/interpretations/{id}/vote", "/api/interpretations/{id}/review", "/api/latents/{latentId}/comments", "/api/audit/export", "/api/tokens" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
    }

    [Fact]
    public async Task The_openapi_document_declares_the_bearer_token_scheme()
    {
        var json = await f.Harness.ClientWith(null).GetStringAsync("/openapi/v1.json");
        using var doc = JsonDocument.Parse(json);
        var scheme = doc.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.True(doc.RootElement.GetProperty("security")[0].TryGetProperty("Bearer", out _));
    }
}
