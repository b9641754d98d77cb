using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SaeWorkbench.Web.Tests;

/// <summary>scripts/start.sh's detection of a server already listening, run through bash.</summary>
public sealed class StartScriptTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("the repository root (SaeWorkbench.sln) is not above the test binaries");
    }

    private static async Task<(int Code, string Output)> BashAsync(string script)
    {
        var start = new ProcessStartInfo("bash", ["-c", script]) { WorkingDirectory = RepoRoot(), RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output.Trim());
    }

    [Fact]
    public async Task The_start_script_sees_a_port_that_is_already_listening_and_a_free_one_as_free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            Assert.Equal(0, (await BashAsync($"source scripts/start.sh; port_in_use http://+:{port}")).Code);
        }
        finally
        {
            listener.Stop();
        }
        Assert.NotEqual(0, (await BashAsync($"source scripts/start.sh; port_in_use http://localhost:{port}")).Code);
    }

    [Fact]
    public async Task A_second_start_while_one_is_serving_exits_with_a_message_and_leaves_the_first_listening()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            var (code, output) = await BashAsync($"ASPNETCORE_URLS=http://127.0.0.1:{port} bash scripts/start.sh 2>&1");
            Assert.Equal(1, code);
            Assert.Contains("already listening", output);
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port); // still served
        }
        finally
        {
            listener.Stop();
        }
    }

    [Theory]
    [InlineData("http://+:5080", "http://127.0.0.1:5080")]
    [InlineData("http://0.0.0.0:8080/", "http://127.0.0.1:8080")]
    [InlineData("http://localhost:5080", "http://localhost:5080")]
    [InlineData("https://example.test", "https://example.test:443")]
    public async Task Listen_addresses_are_probed_on_this_machine(string url, string probe) =>
        Assert.Equal(probe, (await BashAsync($"source scripts/start.sh; probe_url '{url}'")).Output);
}
