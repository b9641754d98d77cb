using Microsoft.AspNetCore.Components;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Components.Pages.Features;

/// <summary>
/// "Which latents fire on this text" across a whole dictionary (<see cref="WhatFiresService"/>). <c>?dictionary=ID</c>
/// preselects one; the page's own state is the text, which is not put in the address.
/// </summary>
public partial class WhatFires
{
    private static readonly int[] PerTokenChoices = [3, 5, 10, 20];

    private IReadOnlyList<SaeDictionary>? _dictionaries;
    private long _dictionaryId;
    private int _perToken = 5;
    private string? _text;
    private bool _running;
    private string? _error;
    private WhatFiresResult? _result;

    [SupplyParameterFromQuery(Name = "dictionary")] public long? Dictionary { get; set; }
    [Inject] private DictionaryRegistry Registry { get; set; } = default!;
    [Inject] private WhatFiresService Service { get; set; } = default!;
    [CascadingParameter] private Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState>? AuthState { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _dictionaries = await Registry.ListAsync();
        _dictionaryId = _dictionaries.FirstOrDefault(d => d.Id == Dictionary)?.Id ?? _dictionaries.FirstOrDefault()?.Id ?? 0;
    }

    private void DictionaryChanged(long id)
    {
        _dictionaryId = id;
        _result = null; // the rows of another dictionary's latents would link to the wrong pages
    }

    private async Task RunAsync()
    {
        var viewer = AuthState is null ? null : Actor.From((await AuthState).User);
        if (viewer is null) { _error = "Sign in to run a text."; return; }
        _running = true;
        try
        {
            _result = await Service.RunAsync(viewer, _dictionaryId, _text, _perToken);
            _error = null;
        }
        catch (Exception e) when (Refusals.Message(e) is { } message)
        {
            _error = message;
            _result = null;
        }
        finally
        {
            _running = false;
        }
    }

    private static string Href(long dictionaryId, int index) => $"dictionaries/{dictionaryId}/features/{index}";
}
