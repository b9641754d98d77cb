using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

public class LabellingQueuePolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly QueueSettings OnePerLatent = new();

    private static QueueCandidate Latent(int index, double density = 0.01, double maxActivation = 5, bool alive = true,
        string[]? labelledBy = null, LatentClaim[]? claims = null, string[]? skippedBy = null) =>
        new(index, alive, maxActivation, density, labelledBy ?? [], claims ?? [], skippedBy ?? []);

    private static int? NextIndex(IEnumerable<QueueCandidate> candidates, string user = "ann", QueueSettings? settings = null) =>
        LabellingQueuePolicy.Next(candidates, user, settings ?? OnePerLatent, Now)?.LatentIndex;

    [Fact]
    public void The_most_active_alive_latent_comes_first()
    {
        Assert.Equal(2, NextIndex([Latent(1, density: 0.01), Latent(2, density: 0.05), Latent(3, density: 0.09, alive: false)]));
    }

    [Fact]
    public void Density_ties_go_to_the_higher_max_activation_then_the_lower_index()
    {
        var order = LabellingQueuePolicy.Eligible(
            [Latent(5, density: 0.02, maxActivation: 3), Latent(4, density: 0.02, maxActivation: 3), Latent(9, density: 0.02, maxActivation: 7)],
            "ann", OnePerLatent, Now);

        Assert.Equal([9, 4, 5], order.Select(c => c.LatentIndex).ToArray());
    }

    [Fact]
    public void Other_priorities_order_by_max_activation_or_index()
    {
        QueueCandidate[] latents = [Latent(3, density: 0.05, maxActivation: 1), Latent(1, density: 0.01, maxActivation: 9), Latent(2, density: 0.03, maxActivation: 4)];

        Assert.Equal(1, NextIndex(latents, settings: new QueueSettings(Priority: QueuePriority.HighestActivationFirst)));
        Assert.Equal(1, NextIndex(latents, settings: new QueueSettings(Priority: QueuePriority.ByIndex)));
        Assert.Equal(3, NextIndex(latents));
    }

    [Fact]
    public void Dense_latents_are_left_out_unless_included_and_the_threshold_is_the_feature_lists()
    {
        QueueCandidate[] latents = [Latent(1, density: 0.41), Latent(2, density: 0.36), Latent(3, density: 0.02), Latent(4, density: 0.1)];

        Assert.Equal(new SaeWorkbench.Research.Features.FeatureQuery().DenseThreshold, LabellingQueuePolicy.DenseThreshold);
        Assert.Equal([4, 3], LabellingQueuePolicy.Eligible(latents, "ann", OnePerLatent, Now).Select(c => c.LatentIndex).ToArray());
        Assert.Equal(1, NextIndex(latents, settings: new QueueSettings(IncludeDenseLatents: true)));
        Assert.Equal(2, LabellingQueuePolicy.DenseLeftOut(latents, "ann", OnePerLatent, Now));
        Assert.Equal(0, LabellingQueuePolicy.DenseLeftOut(latents, "ann", new QueueSettings(IncludeDenseLatents: true), Now));
    }

    [Fact]
    public void Dense_latents_left_out_are_not_remaining_but_labelled_ones_still_count()
    {
        QueueCandidate[] latents = [Latent(1, density: 0.5, labelledBy: ["ann"]), Latent(2, density: 0.5), Latent(3)];

        Assert.Equal(new QueueProgress(Labelled: 1, Skipped: 0, Remaining: 1), LabellingQueuePolicy.ProgressFor(latents, "ann", OnePerLatent));
        Assert.Equal(new ScopeProgress(Complete: 1, Partial: 0, Untouched: 1), LabellingQueuePolicy.ProgressOf(latents, OnePerLatent));
        Assert.Equal(new ScopeProgress(Complete: 1, Partial: 0, Untouched: 2), LabellingQueuePolicy.ProgressOf(latents, new QueueSettings(IncludeDenseLatents: true)));
    }

    [Fact]
    public void Dead_latents_are_handed_out_only_when_the_workspace_asks()
    {
        Assert.Null(NextIndex([Latent(1, alive: false)]));
        Assert.Equal(1, NextIndex([Latent(1, alive: false)], settings: new QueueSettings(IncludeDeadLatents: true)));
    }

    [Fact]
    public void Latents_the_user_labelled_or_skipped_are_not_handed_to_them_again()
    {
        QueueCandidate[] latents = [Latent(1, density: 0.09, labelledBy: ["ann"]), Latent(2, density: 0.08, skippedBy: ["ann"]), Latent(3, density: 0.01)];

        Assert.Equal(3, NextIndex(latents, settings: new QueueSettings(LabelsPerLatent: 3)));
    }

    [Fact]
    public void A_skip_by_someone_else_does_not_hide_the_latent() =>
        Assert.Equal(1, NextIndex([Latent(1, skippedBy: ["bob"])]));

    [Fact]
    public void A_latent_claimed_by_someone_else_is_not_handed_out_while_the_claim_lasts()
    {
        var claimed = Latent(1, density: 0.09, claims: [new LatentClaim("bob", Now.AddMinutes(1))]);

        Assert.Equal(2, NextIndex([claimed, Latent(2, density: 0.01)]));
    }

    [Fact]
    public void An_expired_claim_returns_the_latent_to_the_queue()
    {
        var expired = Latent(1, density: 0.09, claims: [new LatentClaim("bob", Now)]);

        Assert.Equal(1, NextIndex([expired, Latent(2, density: 0.01)]));
    }

    [Fact]
    public void A_users_own_unexpired_claim_is_handed_back_first()
    {
        var mine = Latent(7, density: 0.001, claims: [new LatentClaim("ann", Now.AddMinutes(5))]);

        Assert.Equal(7, NextIndex([Latent(1, density: 0.09), mine]));
    }

    [Fact]
    public void A_latent_labelled_once_is_done_when_one_label_is_asked_for() =>
        Assert.Null(NextIndex([Latent(1, labelledBy: ["bob"])]));

    [Fact]
    public void With_two_labels_per_latent_a_second_person_is_handed_a_claimed_latent_but_not_a_third()
    {
        var two = new QueueSettings(LabelsPerLatent: 2);
        var claimedByBob = Latent(1, claims: [new LatentClaim("bob", Now.AddMinutes(5))]);
        var bobAndCy = Latent(1, labelledBy: ["bob"], claims: [new LatentClaim("cy", Now.AddMinutes(5))]);

        Assert.Equal(1, NextIndex([claimedByBob], settings: two));
        Assert.Null(NextIndex([bobAndCy], settings: two));
    }

    [Fact]
    public void A_person_who_labelled_and_still_holds_a_claim_counts_once()
    {
        var latent = Latent(1, labelledBy: ["bob"], claims: [new LatentClaim("bob", Now.AddMinutes(5))]);

        Assert.Equal(1, NextIndex([latent], settings: new QueueSettings(LabelsPerLatent: 2)));
    }

    [Fact]
    public void A_claim_expires_fifteen_minutes_after_it_is_made_by_default()
    {
        Assert.Equal(Now.AddMinutes(15), LabellingQueuePolicy.ClaimExpiresAt(Now, OnePerLatent));
        Assert.Equal(Now.AddMinutes(3), LabellingQueuePolicy.ClaimExpiresAt(Now, new QueueSettings(ClaimDuration: TimeSpan.FromMinutes(3))));
    }

    /// <summary>Plays the database layer: each request claims the first eligible latent (the claim is
    /// atomic there, sequential here) and some requests submit a label.</summary>
    private static Dictionary<int, List<string>> HandOut(int labelsPerLatent, int users, int latents, int rounds)
    {
        var settings = new QueueSettings(LabelsPerLatent: labelsPerLatent);
        var state = Enumerable.Range(0, latents).ToDictionary(i => i, i => (labelled: new List<string>(), claims: new List<LatentClaim>()));
        var handedTo = Enumerable.Range(0, latents).ToDictionary(i => i, _ => new List<string>());
        for (var round = 0; round < rounds; round++)
            for (var u = 0; u < users; u++)
            {
                var user = $"user{u}";
                var candidates = state.Select(s => Latent(s.Key, density: 0.1 / (s.Key + 1), labelledBy: [.. s.Value.labelled], claims: [.. s.Value.claims]));
                var next = LabellingQueuePolicy.Next(candidates, user, settings, Now);
                if (next is null) continue;
                var (labelled, claims) = state[next.LatentIndex];
                if (!claims.Any(c => c.UserId == user)) claims.Add(new LatentClaim(user, LabellingQueuePolicy.ClaimExpiresAt(Now, settings)));
                if (!handedTo[next.LatentIndex].Contains(user)) handedTo[next.LatentIndex].Add(user);
                if (round % 2 == 1) // every other round the user submits what they hold
                {
                    labelled.Add(user);
                    claims.RemoveAll(c => c.UserId == user);
                }
            }
        return handedTo;
    }

    [Fact]
    public void Twenty_users_asking_for_next_never_share_a_latent_with_one_label_per_latent()
    {
        var handedTo = HandOut(labelsPerLatent: 1, users: 20, latents: 50, rounds: 6);

        Assert.All(handedTo.Values, people => Assert.True(people.Count <= 1, string.Join(",", people)));
        Assert.Equal(50, handedTo.Values.Count(p => p.Count == 1));
    }

    [Fact]
    public void With_two_labels_per_latent_each_latent_goes_to_exactly_two_distinct_people()
    {
        var handedTo = HandOut(labelsPerLatent: 2, users: 20, latents: 30, rounds: 10);

        Assert.All(handedTo.Values, people => Assert.Equal(2, people.Distinct().Count()));
    }

    [Fact]
    public void Progress_counts_labelled_skipped_and_remaining_for_a_person()
    {
        QueueCandidate[] latents =
        [
            Latent(1, labelledBy: ["ann"]), Latent(2, skippedBy: ["ann"]), Latent(3), Latent(4, labelledBy: ["bob"]),
            Latent(5, alive: false),
        ];

        Assert.Equal(new QueueProgress(Labelled: 1, Skipped: 1, Remaining: 1), LabellingQueuePolicy.ProgressFor(latents, "ann", OnePerLatent));
        Assert.Equal(new QueueProgress(Labelled: 1, Skipped: 1, Remaining: 2), LabellingQueuePolicy.ProgressFor(latents, "ann", new QueueSettings(LabelsPerLatent: 2)));
    }

    [Fact]
    public void Scope_progress_counts_complete_partial_and_untouched_latents()
    {
        QueueCandidate[] latents = [Latent(1, labelledBy: ["ann", "bob"]), Latent(2, labelledBy: ["ann"]), Latent(3), Latent(4, alive: false)];

        var progress = LabellingQueuePolicy.ProgressOf(latents, new QueueSettings(LabelsPerLatent: 2));

        Assert.Equal(new ScopeProgress(Complete: 1, Partial: 1, Untouched: 1), progress);
        Assert.Equal(3, progress.Total);
    }

    [Theory]
    [InlineData(0, 15)]
    [InlineData(11, 15)]
    [InlineData(1, 0)]
    [InlineData(1, 60 * 25)]
    public void Settings_outside_their_ranges_are_refused(int labelsPerLatent, int claimMinutes)
    {
        var settings = new QueueSettings(LabelsPerLatent: labelsPerLatent, ClaimDuration: TimeSpan.FromMinutes(claimMinutes));

        Assert.False(LabellingQueuePolicy.ValidateSettings(settings).IsValid);
        Assert.Throws<ArgumentException>(() => LabellingQueuePolicy.Next([], "ann", settings, Now));
    }

    [Fact]
    public void A_skip_needs_a_reason()
    {
        Assert.Equal("Say why you are skipping this latent.", LabellingQueuePolicy.ValidateSkipReason(" ").Errors["reason"]);
        Assert.True(LabellingQueuePolicy.ValidateSkipReason(LabellingQueuePolicy.SuggestedSkipReasons[0]).IsValid);
        Assert.False(LabellingQueuePolicy.ValidateSkipReason(new string('r', 501)).IsValid);
    }
}
