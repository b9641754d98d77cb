using System.Net;
using System.Net.Sockets;

namespace SaeWorkbench.Web.Hosting;

/// <summary>Who is logging in, for the log-in throttle: the client's address (after the forwarded-headers middleware).</summary>
public static class LoginClient
{
    /// <summary>
    /// The client's IPv4 address, or its IPv6 /64 network: one host usually holds a whole /64, so counting single IPv6
    /// addresses would let it rotate past the per-client limit.
    /// </summary>
    public static string Of(HttpContext? http)
    {
        var address = http?.Connection.RemoteIpAddress;
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
