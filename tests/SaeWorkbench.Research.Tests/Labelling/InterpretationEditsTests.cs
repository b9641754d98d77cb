using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

public class InterpretationEditsTests
{
    private static readonly InterpretationVersion Version3 =
        new(3, "Python keywords", "Fires on `def`.", 3, "syntax", "ann", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static ValidInterpretation Proposal(string label = "Python keywords", int confidence = 3) =>
        InterpretationRules.Validate(new InterpretationDraft(label, "Fires on `def`.", confidence, "syntax"), Taxonomy.Default).Value!;

    [Fact]
    public void An_edit_based_on_the_current_version_becomes_the_next_version()
    {
        var decision = InterpretationEdits.Decide(Version3, baseVersionNumber: 3, Proposal(label: "Python def keyword"));

        Assert.Equal(EditOutcome.Applied, decision.Outcome);
        Assert.Equal(4, decision.NewVersionNumber);
    }

    [Fact]
    public void An_edit_based_on_an_older_version_is_a_conflict_showing_both()
    {
        var proposal = Proposal(label: "Python def keyword");

        var decision = InterpretationEdits.Decide(Version3, baseVersionNumber: 2, proposal);

        Assert.Equal(EditOutcome.Conflict, decision.Outcome);
        Assert.Null(decision.NewVersionNumber);
        Assert.Same(Version3, decision.Current);
        Assert.Same(proposal, decision.Proposed);
    }

    [Fact]
    public void Saving_identical_content_writes_nothing_even_from_a_stale_base()
    {
        Assert.Equal(EditOutcome.Unchanged, InterpretationEdits.Decide(Version3, 3, Proposal()).Outcome);
        Assert.Equal(EditOutcome.Unchanged, InterpretationEdits.Decide(Version3, 1, Proposal()).Outcome);
    }

    [Fact]
    public void A_change_of_confidence_alone_is_an_edit() =>
        Assert.Equal(EditOutcome.Applied, InterpretationEdits.Decide(Version3, 3, Proposal(confidence: 5)).Outcome);
}
