using System.Net;
using System.Net.Http.Json;
using SaeWorkbench.Data.Accounts;

namespace SaeWorkbench.Web.Tests.Labelling;

public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly LabellingHarness _harness = new(writesPerMinute: 3);

    [Fact]
    public async Task Writes_beyond_the_per_user_limit_get_429_with_Retry_After_while_other_users_and_reads_go_on()
    {
        await _harness.UserAsync("admin", WorkbenchRoles.Admin);
        var ann = await _harness.UserAsync("ann", WorkbenchRoles.Labeler);
        var ben = await _harness.UserAsync("ben", WorkbenchRoles.Labeler);
        var latent = await _harness.SeedLatentAsync();

        for (var n = 0; n < 3; n++)
            Assert.Equal(HttpStatusCode.Created, (await ann.Client.PostAsJsonAsync($"/api/latents/{latent}/comments", new { body = $"c{n}" })).StatusCode);
        var limited = await ann.Client.PostAsJsonAsync($"/api/latents/{latent}/comments", new { body = "one too many" });

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) is > 0 and <= 60);
        Assert.Equal(HttpStatusCode.OK, (await ann.Client.GetAsync($"/api/latents/{latent}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await ben.Client.PostAsJsonAsync($"/api/latents/{latent}/comments", new { body = "ben" })).StatusCode);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _harness.DisposeAsync();
}
