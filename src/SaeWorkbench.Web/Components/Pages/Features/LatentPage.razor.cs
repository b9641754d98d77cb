using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Features;

namespace SaeWorkbench.Web.Components.Pages.Features;

/// <summary>
/// One latent at a stable URL, prerendered on the server. j/k move through the list it was opened from (the list's
/// filters and sort travel in the query string).
/// </summary>
public partial class LatentPage
{
    private Latent? _latent;
    private SaeWorkbench.Research.Analysis.FeatureDashboardView? _dashboard;
    private SaeWorkbench.Web.Components.Features.FeatureExamplesMarkup _examples = SaeWorkbench.Web.Components.Features.FeatureExamplesMarkup.Empty;
    private SaeWorkbench.Ml.Lm.Tokenization.ITokenizer? _tokenizer;
    private string? _prevHref;
    private string? _nextHref;
    private string _queryString = "";

    [Parameter] public long DictionaryId { get; set; }
    [Parameter] public int Index { get; set; }
    [Inject] private IDbContextFactory<WorkbenchDbContext> DbFactory { get; set; } = default!;
    [Inject] private FeatureCatalog Catalog { get; set; } = default!;
    [Inject] private SaeWorkbench.Web.Components.Features.FeatureDashboardCache Dashboards { get; set; } = default!;
    [Inject] private TokenText Tokens { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [CascadingParameter] private Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState>? AuthState { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        // One query: the latent, its dictionary's model (for token text) and the current analysis (for the cached dashboard).
        var row = await db.Latents.AsNoTracking()
            .Where(l => l.DictionaryId == DictionaryId && l.Index == Index)
            .Select(l => new
            {
                Latent = l,
                ModelPath = db.Dictionaries.Where(d => d.Id == l.DictionaryId).Select(d => d.ModelPath).FirstOrDefault(),
                AnalysisId = db.LatentAnalyses.Where(a => a.DictionaryId == l.DictionaryId && a.IsCurrent).Select(a => (long?)a.Id).FirstOrDefault(),
            })
            .FirstOrDefaultAsync();
        _latent = row?.Latent;
        await HideBlindConsensusAsync(db);
        _tokenizer = Tokens.TokenizerFor(row?.ModelPath);
        var markup = row is { AnalysisId: { } analysisId } ? await Dashboards.GetAsync(row.Latent.Id, analysisId, row.ModelPath) : null;
        _dashboard = markup?.View;
        _examples = markup?.Examples ?? SaeWorkbench.Web.Components.Features.FeatureExamplesMarkup.Empty;
        var uri = Navigation.ToAbsoluteUri(Navigation.Uri);
        var query = FeatureQuery.Parse(QueryHelpers.ParseQuery(uri.Query).ToDictionary(kv => kv.Key, kv => (string?)kv.Value.ToString()));
        _queryString = (query with { Page = 0 }).ToQueryString();
        if (_latent is null) { _prevHref = _nextHref = null; return; }
        var viewer = AuthState is null ? null : SaeWorkbench.Research.Labelling.Services.Actor.From((await AuthState).User);
        var (previous, next) = await Catalog.NeighboursAsync(DictionaryId, Index, query, viewer);
        _prevHref = previous is { } p ? Href(p) : null;
        _nextHref = next is { } n ? Href(n) : null;
    }

    private async Task ReloadLatentAsync()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        _latent = await db.Latents.AsNoTracking().FirstOrDefaultAsync(l => l.DictionaryId == DictionaryId && l.Index == Index);
        await HideBlindConsensusAsync(db);
    }

    /// <summary>Blind mode (InterpretationVisibility): the header shows no consensus of a blind latent to a labeller who has not written their own.</summary>
    private async Task HideBlindConsensusAsync(WorkbenchDbContext db)
    {
        if (_latent is null || !await Catalog.AnyBlindScopeAsync()) return;
        var actor = AuthState is null ? null : SaeWorkbench.Research.Labelling.Services.Actor.From((await AuthState).User);
        if ((await SaeWorkbench.Research.Crowd.InterpretationVisibility.HiddenConsensusAsync(db, actor, [_latent.Id], default)).Count == 0) return;
        _latent.LabelStatus = LabelStatus.Unlabelled;
        _latent.ConsensusLabel = null;
        _latent.ConsensusTag = null;
    }

    private string Href(int index) => $"dictionaries/{DictionaryId}/features/{index}{_queryString}";
}
