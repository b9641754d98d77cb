using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Labelling.Services;
using static TorchSharp.torch;

namespace SaeWorkbench.Web.Tests.Features;

/// <summary><c>POST /api/dictionaries/{id}/what-fires</c> on a tiny real model: answers, refusals naming the field, and its OpenAPI entry.</summary>
public sealed class WhatFiresApiTests
{
    [Fact]
    public async Task A_text_gets_each_tokens_latents_and_bad_requests_are_refused_naming_the_field()
    {
        using var factory = new WorkbenchFactory();
        var (model, _) = TinyWorld.Create(Path.Combine(factory.DataDirectory, "world"));
        var saeFolder = Path.Combine(factory.DataDirectory, "world", "sae");
        using (NewDisposeScope())
        {
            using var gen = new Generator().manual_seed(2);
            using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 16, 8 }, generator: gen),
                rand(new long[] { 8 }, generator: gen), randn(new long[] { 8, 16 }, generator: gen), zeros(16));
            SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = "blocks.1.hook_resid_post", ContextSize = 32 });
        }
        var dictionary = await factory.Services.GetRequiredService<DictionaryRegistry>().RegisterAsync(saeFolder, "api", model, "{}", "{}", 0, null, null);
        string token;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var (user, errors) = await scope.ServiceProvider.GetRequiredService<AccountService>().RegisterAsync("ivy", "what-fires-1");
            Assert.True(user is not null, string.Join(" ", errors));
            var actor = new Actor(user!.Id, "ivy", SaeWorkbench.Data.Accounts.Role.Admin);
            token = (await factory.Services.GetRequiredService<ApiTokenService>().CreateAsync(actor, "test")).Value!.Token;
        }
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var url = $"/api/dictionaries/{dictionary.Id}/what-fires";

        var ok = await client.PostAsJsonAsync(url, new { text = "the army and the navy", perToken = 3 });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var answer = JsonDocument.Parse(await ok.Content.ReadAsStringAsync());
        var tokens = answer.RootElement.GetProperty("tokens").EnumerateArray().ToList();
        Assert.Equal("⟨bos⟩", tokens[0].GetProperty("text").GetString());
        Assert.True(tokens.Count >= 4);
        Assert.All(tokens.Skip(1), t => Assert.InRange(t.GetProperty("latents").GetArrayLength(), 1, 3));
        Assert.Equal("api", answer.RootElement.GetProperty("dictionaryName").GetString());

        async Task<JsonElement> Refused(HttpResponseMessage response, HttpStatusCode status)
        {
            Assert.Equal(status, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
        Assert.True((await Refused(await client.PostAsJsonAsync(url, new { }), HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("text", out _));
        Assert.True((await Refused(await client.PostAsJsonAsync(url, new { text = "the", perToken = 50 }), HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("perToken", out _));
        Assert.Contains("no dictionary", (await Refused(await client.PostAsJsonAsync($"/api/dictionaries/{dictionary.Id + 99}/what-fires", new { text = "the" }), HttpStatusCode.NotFound)).GetProperty("detail").GetString());

        var openApi = await factory.CreateClient().GetStringAsync("/openapi/v1.json");
        Assert.Contains("\"/api/dictionaries/{dictionaryId}/what-fires\"", openApi);
    }
}
