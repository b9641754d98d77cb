namespace SaeWorkbench.Web.Components;

/// <summary>Keeps redirects after log-in on this site (no open redirects).</summary>
public static class LocalReturnUrl
{
    public static string Of(string? returnUrl)
    {
        if (string.IsNullOrWhiteSpace(returnUrl)) return "/";
        var url = returnUrl.Trim();
        if (url.StartsWith("//", StringComparison.Ordinal) || url.StartsWith("/\\", StringComparison.Ordinal) || url.Contains("://", StringComparison.Ordinal))
            return "/";
        return url.StartsWith('/') ? url : "/" + url;
    }
}
