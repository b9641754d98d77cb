using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.WebUtilities;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Components.Features;

namespace SaeWorkbench.Web.Components.Pages.Features;

/// <summary>
/// One latent at a stable URL, prerendered on the server. j/k move through the list it was opened from (the list's
/// filters and sort travel in the query string). A latent that does not exist links back to the list and to the
/// nearest index that does.
/// </summary>
public partial class LatentPage
{
    private LatentHeader? _header;
    private MissingLatent? _missing;
    private FeatureDashboardView? _dashboard;
    private FeatureExamplesMarkup _examples = FeatureExamplesMarkup.Empty;
    private SaeWorkbench.Ml.Lm.Tokenization.ITokenizer? _tokenizer;
    private string? _prevHref;
    private string? _nextHref;
    private string _queryString = "";

    [Parameter] public long DictionaryId { get; set; }
    [Parameter] public int Index { get; set; }
    [Inject] private LatentPageReader Latents { get; set; } = default!;
    [Inject] private FeatureCatalog Catalog { get; set; } = default!;
    [Inject] private FeatureDashboardCache Dashboards { get; set; } = default!;
    [Inject] private TokenText Tokens { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [CascadingParameter] private Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState>? AuthState { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        var viewer = await ViewerAsync();
        var uri = Navigation.ToAbsoluteUri(Navigation.Uri);
        var query = FeatureQuery.Parse(QueryHelpers.ParseQuery(uri.Query).ToDictionary(kv => kv.Key, kv => (string?)kv.Value.ToString()));
        _queryString = (query with { Page = 0 }).ToQueryString();
        _header = await Latents.GetAsync(DictionaryId, Index, viewer);
        if (_header is null)
        {
            _missing = await Latents.MissingAsync(DictionaryId, Index);
            _dashboard = null;
            _examples = FeatureExamplesMarkup.Empty;
            _prevHref = _nextHref = null;
            return;
        }
        _missing = null;
        _tokenizer = Tokens.TokenizerFor(_header.ModelPath);
        var markup = _header.AnalysisId is { } analysisId ? await Dashboards.GetAsync(_header.Latent.Id, analysisId, _header.ModelPath) : null;
        _dashboard = markup?.View;
        _examples = markup?.Examples ?? FeatureExamplesMarkup.Empty;
        var (previous, next) = await Catalog.NeighboursAsync(DictionaryId, Index, query, viewer);
        _prevHref = previous is { } p ? Href(p) : null;
        _nextHref = next is { } n ? Href(n) : null;
    }

    private async Task ReloadLatentAsync()
    {
        if (_header is null) return;
        if (await Latents.LatentAsync(DictionaryId, Index, await ViewerAsync()) is { } latent) _header = _header with { Latent = latent };
    }

    private async Task<Actor?> ViewerAsync() => AuthState is null ? null : Actor.From((await AuthState).User);

    private string Href(int index) => $"dictionaries/{DictionaryId}/features/{index}{_queryString}";
}
