using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using SaeWorkbench.Data.Accounts;

namespace SaeWorkbench.Web.Components.Layout;

/// <summary>
/// The main navigation's prerendered HTML, kept per role and section of the site: what <see cref="NavMenuLinks"/> writes
/// depends on nothing else (which links the role may see, and which one is current), yet its 13 MudNavLinks (39
/// components, each NavLink parsing the address) were rendered again on every page. A miss renders those same
/// components with <see cref="HtmlRenderer"/> in the request's own services, so the HTML is MudBlazor's, from the
/// current address. Bought by the browse benchmark: the list's default view, closed loop, 1.6–1.7 ms of CPU per request
/// without the navigation against 2.1–3.4 ms with it (interleaved runs), and the layout floor 0.8 against 0.9–1.0 ms.
/// </summary>
public sealed class PrerenderedNavigation(ILoggerFactory loggers)
{
    /// <summary>Past this many kept sections (a dictionary's id is part of one) the cache starts again.</summary>
    public const int MaxEntries = 512;

    private readonly ConcurrentDictionary<string, MarkupString> _html = new(StringComparer.Ordinal);

    /// <summary>Sections kept (tests, diagnostics).</summary>
    public int Count => _html.Count;

    /// <summary>
    /// What decides the navigation's HTML for a page: the role and the address's first two path segments. No link's
    /// address has more than two, and NavLink compares paths without case, so every address with the same two
    /// segments marks the same link current.
    /// </summary>
    public static string Key(Role? role, string baseRelativeUri)
    {
        var path = baseRelativeUri.AsSpan();
        var end = path.IndexOfAny('?', '#');
        if (end >= 0) path = path[..end];
        var first = path.IndexOf('/');
        if (first >= 0)
        {
            var second = path[(first + 1)..].IndexOf('/');
            if (second >= 0) path = path[..(first + 1 + second)];
        }
        return $"{role?.ToString() ?? "-"}|{path.ToString().ToLowerInvariant()}";
    }

    /// <summary>The navigation of a page at <paramref name="baseRelativeUri"/> for <paramref name="role"/>.</summary>
    /// <param name="requestServices">The prerendering request's services: its NavigationManager holds the address.</param>
    public async Task<MarkupString> GetAsync(IServiceProvider requestServices, Role? role, string baseRelativeUri)
    {
        var key = Key(role, baseRelativeUri);
        if (_html.TryGetValue(key, out var kept)) return kept;
        await using var renderer = new HtmlRenderer(requestServices, loggers);
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var parameters = ParameterView.FromDictionary(new Dictionary<string, object?> { [nameof(NavMenuLinks.Role)] = role });
            return (await renderer.RenderComponentAsync<NavMenuLinks>(parameters)).ToHtmlString();
        });
        if (_html.Count >= MaxEntries) _html.Clear();
        return _html[key] = new MarkupString(html);
    }
}
