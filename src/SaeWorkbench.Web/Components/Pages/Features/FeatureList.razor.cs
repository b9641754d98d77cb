using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.WebUtilities;
using SaeWorkbench.Research.Features;

namespace SaeWorkbench.Web.Components.Pages.Features;

/// <summary>Server-side paged, sorted and filtered latents; the URL holds the whole view so it can be shared.</summary>
public partial class FeatureList
{
    private FeatureQuery _query = new();
    private FeaturePage? _page;

    [Parameter] public long DictionaryId { get; set; }
    [Inject] private FeatureCatalog Catalog { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        var uri = Navigation.ToAbsoluteUri(Navigation.Uri);
        var parsed = QueryHelpers.ParseQuery(uri.Query).ToDictionary(kv => kv.Key, kv => (string?)kv.Value.ToString());
        _query = FeatureQuery.Parse(parsed);
        _page = await Catalog.QueryAsync(DictionaryId, _query);
    }

    private void Apply(FeatureQuery query) => Navigation.NavigateTo($"dictionaries/{DictionaryId}/features{query.Normalised().ToQueryString()}");

    private string FeatureHref(int index) => $"dictionaries/{DictionaryId}/features/{index}{_query.ToQueryString()}";
}
