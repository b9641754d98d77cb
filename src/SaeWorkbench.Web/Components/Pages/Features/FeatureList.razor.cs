using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.AspNetCore.WebUtilities;
using SaeWorkbench.Research.Features;

namespace SaeWorkbench.Web.Components.Pages.Features;

/// <summary>Server-side paged, sorted and filtered latents; the URL holds the whole view so it can be shared.</summary>
public partial class FeatureList : IDisposable
{
    private IDisposable? _consensusSubscription;
    private int _refreshing; // 0 idle, 1 refreshing, 2 refreshing with another change pending

    private FeatureQuery _query = new();
    private string _queryString = "";
    private FeaturePage? _page;

    [Parameter] public long DictionaryId { get; set; }
    [Inject] private FeatureCatalog Catalog { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private SaeWorkbench.Research.Events.WorkbenchEventBus Events { get; set; } = default!;
    [CascadingParameter] private Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState>? AuthState { get; set; }

    /// <summary>Who is looking: blind mode hides consensus labels in the list from labellers.</summary>
    private async Task<SaeWorkbench.Research.Labelling.Services.Actor?> ViewerAsync() =>
        AuthState is null ? null : SaeWorkbench.Research.Labelling.Services.Actor.From((await AuthState).User);

    /// <summary>Consensus labels change live on the list (a review or vote anywhere re-queries this page, coalesced).</summary>
    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        _consensusSubscription = Events.Subscribe(e =>
        {
            if (e is not SaeWorkbench.Research.Events.ConsensusChanged and not SaeWorkbench.Research.Events.WorkspaceSettingsChanged) return;
            if (Interlocked.Increment(ref _refreshing) > 1) { Interlocked.Exchange(ref _refreshing, 2); return; }
            _ = InvokeAsync(async () =>
            {
                do
                {
                    Interlocked.Exchange(ref _refreshing, 1);
                    _page = await Catalog.QueryAsync(DictionaryId, _query, await ViewerAsync());
                    StateHasChanged();
                } while (Interlocked.CompareExchange(ref _refreshing, 0, 1) != 1);
            });
        });
    }

    protected override void OnInitialized() => Navigation.LocationChanged += OnLocationChanged;

    protected override Task OnParametersSetAsync() => LoadAsync(Navigation.Uri);

    /// <summary>
    /// A filter change only changes the query string; Blazor does not set the page's (unchanged) route parameters
    /// again, so the list reloads here.
    /// </summary>
    private void OnLocationChanged(object? sender, LocationChangedEventArgs e)
    {
        var path = Navigation.ToBaseRelativePath(e.Location).Split('?', '#')[0].TrimEnd('/');
        if (path != $"dictionaries/{DictionaryId}/features") return;
        _ = InvokeAsync(async () =>
        {
            await LoadAsync(e.Location);
            StateHasChanged();
        });
    }

    private async Task LoadAsync(string location)
    {
        var uri = Navigation.ToAbsoluteUri(location);
        var parsed = QueryHelpers.ParseQuery(uri.Query).ToDictionary(kv => kv.Key, kv => (string?)kv.Value.ToString());
        _query = FeatureQuery.Parse(parsed);
        _queryString = _query.ToQueryString(); // every row's link carries it
        _page = await Catalog.QueryAsync(DictionaryId, _query, await ViewerAsync());
    }

    private void Apply(FeatureQuery query) => Navigation.NavigateTo($"dictionaries/{DictionaryId}/features{query.Normalised().ToQueryString()}");

    private string FeatureHref(int index) => $"dictionaries/{DictionaryId}/features/{index}{_queryString}";

    private int PageCount => _page is null ? 1 : Math.Max(1, (int)Math.Ceiling(_page.Total / (double)_query.PageSize));

    public void Dispose()
    {
        Navigation.LocationChanged -= OnLocationChanged;
        _consensusSubscription?.Dispose();
    }
}
