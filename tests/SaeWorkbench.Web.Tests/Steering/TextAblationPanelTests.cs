using Bunit;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Steering;
using SaeWorkbench.Web.Components.Steering;
using SaeWorkbench.Web.Tests.Components;

namespace SaeWorkbench.Web.Tests.Steering;

/// <summary>The ablation panel of the steering page (bUnit, the real host's steering services and two tiny models).</summary>
public sealed class TextAblationPanelTests : MudComponentTest
{
    [Fact]
    public async Task A_change_of_dictionary_clears_the_ablation_and_the_next_one_is_shown_with_the_new_dictionarys_tokenizer()
    {
        using var factory = new WorkbenchFactory();
        var first = await SteeringApiTests.RegisterAsync(factory, "first");
        var second = await SteeringApiTests.RegisterAsync(factory, "second");
        var catalog = factory.Services.GetRequiredService<SteeringCatalog>();
        Context.Services.AddSingleton(factory.Services.GetRequiredService<SteeringService>());
        Context.Services.AddSingleton(catalog);
        var actor = new Actor("viewer-id", "viewer", Role.Viewer);

        var panel = Context.Render<TextAblationPanel>(p => p
            .Add(x => x.DictionaryId, first).Add(x => x.Latents, [2]).Add(x => x.Actor, actor));
        void Ablate(long dictionary)
        {
            panel.Find("textarea[data-testid=ablation-text]").Change("the state of the union");
            panel.Find("[data-testid=ablation-run]").Click();
            panel.WaitForAssertion(() => Assert.Equal(dictionary.ToString(), panel.Find("[data-testid=ablation-heatmap]").GetAttribute("data-dictionary")),
                TimeSpan.FromSeconds(30));
        }

        Ablate(first);
        var firstTokenizer = await catalog.TokenizerAsync(first);
        Assert.NotNull(firstTokenizer);
        Assert.Same(firstTokenizer, panel.Instance.Current!.Tokenizer);

        // Another dictionary (another model folder, so another tokenizer): the old result goes, tokens and tokenizer alike.
        panel.Render(p => p.Add(x => x.DictionaryId, second));
        Assert.Null(panel.Instance.Current);
        Assert.Empty(panel.FindAll("[data-testid=ablation-heatmap]"));

        Ablate(second);
        var secondTokenizer = await catalog.TokenizerAsync(second);
        Assert.NotSame(firstTokenizer, secondTokenizer);
        Assert.Equal(second, panel.Instance.Current!.DictionaryId);
        Assert.Same(secondTokenizer, panel.Instance.Current.Tokenizer);
    }
}
