using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// The real host for the web-layer security tests (origins, rate limits, login throttling), with extra settings, and with the client's address taken from an
/// <c>X-Test-Client</c> header (the in-memory test server has no sockets), so tests can play several machines.
/// </summary>
public sealed class ClientAddressHost(params (string Key, string Value)[] settings) : WorkbenchFactory
{
    public const string ClientHeader = "X-Test-Client";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Workbench:Jobs:RunnerEnabled", "false");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.ConfigureServices(s => s.AddSingleton<IStartupFilter>(new ClientAddressFromHeader()));
    }

    /// <summary>A cookie client (no redirects followed) that presents itself as <paramref name="address"/>.</summary>
    public HttpClient BrowserFrom(string address)
    {
        var client = CreateBrowserlikeClient();
        client.DefaultRequestHeaders.Add(ClientHeader, address);
        return client;
    }

    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext http, RequestDelegate nextStep) =>
            {
                if (IPAddress.TryParse(http.Request.Headers[ClientHeader].ToString(), out var address)) http.Connection.RemoteIpAddress = address;
                return nextStep(http);
            });
            next(app);
        };
    }
}
