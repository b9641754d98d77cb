using Microsoft.AspNetCore.Components;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Steering;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Components.Steering;

/// <summary>
/// Runs <see cref="SteeringService.AblateTextAsync"/> and shows the result with the tokenizer of the dictionary that
/// produced it: the result, its dictionary and its tokenizer are kept together, and a change of dictionary clears
/// them, so tokens are never decoded with another model's vocabulary.
/// </summary>
public partial class TextAblationPanel
{
    /// <summary>A result with the dictionary and tokenizer it belongs to.</summary>
    public sealed record Shown(long DictionaryId, TextAblationResult Result, ITokenizer? Tokenizer);

    private string? _text;
    private int? _position;
    private bool _includeBos;
    private string? _error;
    private Shown? _shown;

    [Parameter, EditorRequired] public long DictionaryId { get; set; }
    [Parameter, EditorRequired] public IReadOnlyList<int> Latents { get; set; } = [];
    [Parameter] public Actor? Actor { get; set; }

    [Inject] private SteeringService Steering { get; set; } = default!;
    [Inject] private SteeringCatalog Catalog { get; set; } = default!;

    /// <summary>What the panel shows now (null: nothing).</summary>
    public Shown? Current => _shown;

    protected override void OnParametersSet()
    {
        if (_shown is not null && _shown.DictionaryId != DictionaryId) _shown = null;
    }

    private async Task AblateAsync()
    {
        if (Actor is null) return;
        _error = null;
        var dictionaryId = DictionaryId;
        try
        {
            if (Latents.Count == 0) throw new ArgumentException("latents: choose at least one latent to ablate in the interventions above");
            var result = await Steering.AblateTextAsync(Actor, dictionaryId, _text ?? "", Latents, _position, includeBos: _includeBos);
            _shown = new Shown(dictionaryId, result, await Catalog.TokenizerAsync(dictionaryId));
        }
        catch (Exception e) when (Refusals.Message(e) is { } message)
        {
            _error = message;
            _shown = null;
        }
    }
}
