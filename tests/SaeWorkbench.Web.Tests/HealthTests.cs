using System.Net;
using System.Text.Json;

namespace SaeWorkbench.Web.Tests;

public sealed class HealthTests : IClassFixture<HealthTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public WorkbenchFactory Factory { get; } = new();
        public void Dispose() => Factory.Dispose();
    }

    private readonly WorkbenchFactory _factory;
    public HealthTests(Fixture f) => _factory = f.Factory;

    [Fact]
    public async Task Health_reports_the_database_torch_and_cpu_without_signing_in()
    {
        var response = await _factory.CreateClient().GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        Assert.Equal("healthy", root.GetProperty("status").GetString());
        Assert.Equal("ok", root.GetProperty("database").GetString());
        Assert.Contains("cpu", root.GetProperty("devices").EnumerateArray().Select(d => d.GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("torchVersion").GetString()));
        Assert.True(root.GetProperty("threads").GetInt32() >= 1);
    }

    [Fact]
    public async Task Unknown_page_gets_a_friendly_not_found_without_a_stack_trace()
    {
        var client = _factory.CreateBrowserlikeClient();
        var response = await client.GetAsync("/api/no-such-thing");
        Assert.DoesNotContain("   at ", await response.Content.ReadAsStringAsync());
    }
}
