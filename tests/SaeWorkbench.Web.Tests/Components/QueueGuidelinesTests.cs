using Bunit;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Web.Components.Crowd;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The guidelines beside the queue's form (bUnit).</summary>
public sealed class QueueGuidelinesTests : MudComponentTest
{
    private static ScopeView Scope(bool blind, string? guidelines) =>
        new(1, 1, "s", "Dictionary", null, blind, 2, 20, QueuePriority.HighestActivationFirst, false, 10, "u", DateTimeOffset.UnixEpoch, guidelines);

    [Fact]
    public void The_scopes_guidelines_rules_and_every_tags_description_are_shown_and_the_chosen_tag_is_marked()
    {
        var cut = Context.Render<QueueGuidelines>(p => p
            .Add(g => g.Scope, Scope(blind: true, "Name the topic.\nSkip thin evidence."))
            .Add(g => g.Tags, Taxonomy.Default.Tags)
            .Add(g => g.Selected, Taxonomy.Default.Tags[3].Key));

        Assert.Equal("Name the topic.\nSkip thin evidence.", cut.Find("[data-testid=scope-guidelines]").TextContent);
        Assert.Contains("2 people label each latent independently", cut.Find("[data-testid=scope-rules]").TextContent);
        Assert.Contains("20 minutes", cut.Find("[data-testid=scope-rules]").TextContent);
        Assert.NotNull(cut.Find("[data-testid=blind-rule]"));
        var descriptions = cut.FindAll(".tag-description dd").Select(d => d.TextContent).ToList();
        Assert.Equal(Taxonomy.Default.Tags.Select(t => t.Description), descriptions);
        Assert.Equal(Taxonomy.Default.Tags[3].Key, Assert.Single(cut.FindAll(".tag-description.selected")).GetAttribute("data-tag"));
    }

    [Fact]
    public void A_scope_without_guidelines_or_blindness_shows_only_the_rules_that_apply()
    {
        var cut = Context.Render<QueueGuidelines>(p => p.Add(g => g.Scope, Scope(blind: false, null)).Add(g => g.Tags, Taxonomy.Default.Tags));

        Assert.Empty(cut.FindAll("[data-testid=scope-guidelines]"));
        Assert.Empty(cut.FindAll("[data-testid=blind-rule]"));
        Assert.Empty(cut.FindAll(".tag-description.selected"));
    }
}
