using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SaeWorkbench.Web.Live;

namespace SaeWorkbench.Web.Tests.Live;

/// <summary>Workbench:Presence:TimeoutSeconds: read, checked, and applied to every hub.</summary>
public sealed class PresenceOptionsTests
{
    private static PresenceOptions From(string? seconds) => PresenceOptions.From(new ConfigurationBuilder()
        .AddInMemoryCollection(seconds is null ? [] : [new(PresenceOptions.Section + ":TimeoutSeconds", seconds)]).Build());

    [Fact]
    public void The_default_is_SignalRs_30_s_timeout_with_15_s_pings_and_a_short_timeout_pings_at_half_of_it()
    {
        var standard = From(null);
        var fast = From("3");

        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(15)), (standard.Timeout, standard.KeepAlive));
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1.5)), (fast.Timeout, fast.KeepAlive));
        Assert.Equal(TimeSpan.FromSeconds(15), From("120").KeepAlive);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("601")]
    [InlineData("NaN")]
    public void A_timeout_outside_one_to_600_seconds_stops_the_start_naming_the_setting(string seconds)
    {
        var e = Assert.Throws<InvalidOperationException>(() => From(seconds));

        Assert.StartsWith("Workbench:Presence:TimeoutSeconds is ", e.Message);
    }

    [Fact]
    public void The_workbench_hub_and_the_circuit_hub_both_use_the_timeout()
    {
        using var factory = new PresenceFactory();

        // A hub's own options left unset (null) fall back to the global ones, as SignalR's connection handler reads them.
        var own = factory.Services.GetRequiredService<IOptions<HubOptions<WorkbenchHub>>>().Value;
        var global = factory.Services.GetRequiredService<IOptions<HubOptions>>().Value;
        var hub = (ClientTimeoutInterval: own.ClientTimeoutInterval ?? global.ClientTimeoutInterval, KeepAliveInterval: own.KeepAliveInterval ?? global.KeepAliveInterval);
        // Blazor's circuit hub type is internal: its options are found by name.
        var componentHub = Type.GetType("Microsoft.AspNetCore.Components.Server.ComponentHub, Microsoft.AspNetCore.Components.Server", throwOnError: true)!;
        var circuitOptions = factory.Services.GetRequiredService(typeof(IOptions<>).MakeGenericType(typeof(HubOptions<>).MakeGenericType(componentHub)));
        var circuit = (HubOptions)circuitOptions.GetType().GetProperty("Value")!.GetValue(circuitOptions)!;

        Assert.Equal((TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(2)), (hub.ClientTimeoutInterval, hub.KeepAliveInterval));
        Assert.Equal((TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(2)), (circuit.ClientTimeoutInterval, circuit.KeepAliveInterval));
    }

    private sealed class PresenceFactory : WorkbenchFactory
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting(PresenceOptions.Section + ":TimeoutSeconds", "4");
        }
    }
}
