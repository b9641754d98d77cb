using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Steering;
using SaeWorkbench.Web.Components.Steering;

namespace SaeWorkbench.Web.Components.Pages.Steering;

/// <summary>
/// The steering page: the run panel (comparison or sweep), ablation on a fixed text and the saved list, sharing one
/// form. Opened from a feature page with <c>?dictionary=&amp;latent=&amp;strength=</c> it is prefilled with that latent
/// (without a strength, <see cref="SteeringDefaults.Strength"/>).
/// </summary>
public partial class SteeringPage
{
    private IReadOnlyList<SteerableDictionary> _dictionaries = [];
    private SteeringForm? _form;
    private Actor? _actor;

    [SupplyParameterFromQuery(Name = "dictionary")] public long? QueryDictionary { get; set; }
    [SupplyParameterFromQuery(Name = "latent")] public int? QueryLatent { get; set; }
    [SupplyParameterFromQuery(Name = "strength")] public double? QueryStrength { get; set; }

    [Inject] private SteeringCatalog Catalog { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _dictionaries = await Catalog.DictionariesAsync();
        var form = new SteeringForm
        {
            DictionaryId = QueryDictionary is { } qd && _dictionaries.Any(d => d.Id == qd) ? qd : _dictionaries.FirstOrDefault()?.Id ?? 0,
        };
        var row = new InterventionRow();
        if (QueryLatent is { } index && (await Catalog.SearchLatentsAsync(_actor, form.DictionaryId, $"#{index}", 1)).FirstOrDefault() is { } latent)
        {
            row.Latent = latent;
            row.Kind = InterventionKind.Add;
            row.Value = QueryStrength is { } s && double.IsFinite(s) ? s : latent.DefaultStrength;
        }
        form.Rows.Add(row);
        _form = form;
    }
}
