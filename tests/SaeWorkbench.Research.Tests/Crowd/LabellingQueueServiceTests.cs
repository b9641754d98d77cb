using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Tests.Crowd;

public sealed class LabellingQueueServiceTests
{
    private static InterpretationDraft Draft(string label = "dates", string? tag = "entity", int confidence = 4) => new(label, "", confidence, tag);

    /// <summary>Twenty people press "Label next" at once, half through a second process (its own gate).</summary>
    private static async Task<QueueAssignment?[]> TwentyAtOnceAsync(CrowdDatabase s, long scopeId)
    {
        var second = s.SecondProcessQueue();
        using var start = new ManualResetEventSlim(false);
        var tasks = s.Labellers.Select((actor, i) => Task.Run(async () =>
        {
            start.Wait();
            var queue = i % 2 == 0 ? s.Queue : second;
            var next = await queue.NextAsync(actor, scopeId);
            Assert.True(next.Succeeded, next.Validation.ToString());
            return next.Value!.Assignment;
        })).ToList();
        start.Set();
        return await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task Twenty_concurrent_next_requests_never_hand_one_latent_to_two_people()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(labelsPerLatent: 1);

        var handed = await TwentyAtOnceAsync(s, scope.Id);

        var latents = handed.Where(a => a is not null).Select(a => a!.LatentIndex).ToList();
        Assert.Equal(CrowdDatabase.LatentCount, latents.Count);           // ten alive latents, each handed out
        Assert.Equal(latents.Count, latents.Distinct().Count());            // to exactly one person
        Assert.Equal(20 - CrowdDatabase.LatentCount, handed.Count(a => a is null));
        await using var db = s.Db();
        Assert.Equal(CrowdDatabase.LatentCount, await db.QueueClaims.CountAsync());
    }

    [Fact]
    public async Task With_two_labels_per_latent_each_latent_goes_to_exactly_two_distinct_people()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(labelsPerLatent: 2);

        var handed = await TwentyAtOnceAsync(s, scope.Id);

        Assert.All(handed, Assert.NotNull);
        var byLatent = handed.Zip(s.Labellers).GroupBy(x => x.First!.LatentIndex).ToList();
        Assert.Equal(CrowdDatabase.LatentCount, byLatent.Count);
        Assert.All(byLatent, g => Assert.Equal(2, g.Select(x => x.Second.UserId).Distinct().Count()));
    }

    [Fact]
    public async Task Expired_claims_return_to_the_queue()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(kind: "List", definition: "3", claimMinutes: 15);
        var t0 = DateTimeOffset.UtcNow;
        var clock = new ManualClock(t0);
        var queue = s.SecondProcessQueue(clock);
        var (ann, ben) = (s.Labellers[0], s.Labellers[1]);

        var first = (await queue.NextAsync(ann, scope.Id)).Value!.Assignment;
        clock.Now = t0.AddMinutes(14);
        var whileHeld = (await queue.NextAsync(ben, scope.Id)).Value!.Assignment;
        clock.Now = t0.AddMinutes(15);
        var afterExpiry = (await queue.NextAsync(ben, scope.Id)).Value!.Assignment;
        clock.Now = t0.AddMinutes(16);
        var annAgain = (await queue.NextAsync(ann, scope.Id)).Value!.Assignment;

        Assert.Equal(3, first!.LatentIndex);
        Assert.Equal(t0.AddMinutes(15), first.ExpiresAt);
        Assert.Null(whileHeld);
        Assert.Equal(3, afterExpiry!.LatentIndex);
        Assert.Null(annAgain);   // now Ben holds it
        await using var db = s.Db();
        Assert.Equal(ben.UserId, (await db.QueueClaims.SingleAsync()).UserId);
    }

    [Fact]
    public async Task The_most_active_latent_comes_first_and_a_reload_hands_back_the_same_latent()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(priority: QueuePriority.MostActiveFirst);
        var ann = s.Labellers[0];

        var first = (await s.Queue.NextAsync(ann, scope.Id)).Value!.Assignment!;
        var again = (await s.Queue.NextAsync(ann, scope.Id)).Value!.Assignment!;

        Assert.Equal(9, first.LatentIndex);
        Assert.Equal(first.LatentId, again.LatentId);
    }

    [Fact]
    public async Task Labelling_moves_on_and_counts_towards_progress()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(kind: "List", definition: "1-3");
        var ann = s.Labellers[0];

        var first = (await s.Queue.NextAsync(ann, scope.Id)).Value!.Assignment!;
        Assert.True((await s.Queue.SubmitAsync(ann, scope.Id, first.LatentId, Draft())).Succeeded);
        var second = (await s.Queue.NextAsync(ann, scope.Id)).Value!;

        Assert.NotEqual(first.LatentId, second.Assignment!.LatentId);
        Assert.Equal(new QueueProgress(1, 0, 2), second.Progress);
        var progress = (await s.Queue.ProgressAsync(scope.Id)).Value!;
        Assert.Equal(new ScopeProgress(1, 0, 2), progress.Scope);
        var row = Assert.Single(progress.People);
        Assert.Equal(("labeller00", 1, 0, 2), (row.UserName, row.Labelled, row.Skipped, row.Remaining));
    }

    [Fact]
    public async Task A_skip_needs_a_reason_releases_the_claim_and_is_audited()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(kind: "List", definition: "4");
        var (ann, ben) = (s.Labellers[0], s.Labellers[1]);
        var claimed = (await s.Queue.NextAsync(ann, scope.Id)).Value!.Assignment!;

        var noReason = await s.Queue.SkipAsync(ann, scope.Id, claimed.LatentId, "  ");
        var skipped = await s.Queue.SkipAsync(ann, scope.Id, claimed.LatentId, "No pattern I can see");
        var annNext = (await s.Queue.NextAsync(ann, scope.Id)).Value!;
        var benNext = (await s.Queue.NextAsync(ben, scope.Id)).Value!;

        Assert.Equal(OutcomeKind.Invalid, noReason.Kind);
        Assert.Equal("Say why you are skipping this latent.", noReason.Validation.Errors["reason"]);
        Assert.Equal(new QueueProgress(0, 1, 0), skipped.Value);
        Assert.Null(annNext.Assignment);
        Assert.Equal(claimed.LatentId, benNext.Assignment!.LatentId);
        await using var db = s.Db();
        var audit = await db.AuditLog.Where(a => a.Action == "queue.skip").SingleAsync();
        Assert.Contains("No pattern I can see", audit.AfterJson);
    }

    [Fact]
    public async Task Viewers_cannot_take_latents_and_Labelers_cannot_make_scopes()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync();
        var next = await s.Queue.NextAsync(s.Viewer, scope.Id);
        var make = await s.Queue.CreateScopeAsync(s.Labellers[0], new ScopeRequest(s.DictionaryId, "mine", "Dictionary", null, false));

        Assert.Equal(OutcomeKind.Forbidden, next.Kind);
        Assert.Equal(OutcomeKind.Forbidden, make.Kind);
        await using var db = s.Db();
        Assert.Equal(0, await db.QueueClaims.CountAsync());
        Assert.Equal(1, await db.LabellingScopes.CountAsync());
    }

    [Fact]
    public async Task Scope_definitions_are_checked_and_filters_fix_their_latents()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var missing = await s.Queue.CreateScopeAsync(s.Reviewer, new ScopeRequest(s.DictionaryId, "x", "List", "1, 99", false));
        var garbage = await s.Queue.CreateScopeAsync(s.Reviewer, new ScopeRequest(s.DictionaryId, "x", "List", "1, two", false));
        var badN = await s.Queue.CreateScopeAsync(s.Reviewer, new ScopeRequest(s.DictionaryId, "x", "Dictionary", null, false, LabelsPerLatent: 11));
        var filter = await s.ScopeAsync(kind: "Filter", definition: "/dictionaries/1/features?minDensity=0.0075");

        Assert.Equal("The dictionary has no latent 99.", missing.Validation.Errors["definition"]);
        Assert.Equal("\"two\" is not a latent index or a range like 10-20.", garbage.Validation.Errors["definition"]);
        Assert.Contains("from 1 to 10", badN.Validation.Errors["labelsPerLatent"]);
        Assert.Equal(3, filter.Latents);   // densities 0.008, 0.009, 0.010
    }

    [Fact]
    public async Task A_scope_keeps_its_guidelines_and_refuses_overlong_ones()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var made = await s.Queue.CreateScopeAsync(s.Reviewer, new ScopeRequest(s.DictionaryId, "g", "Dictionary", null, false,
            Guidelines: "  Name the topic, not the token.\nSkip latents with fewer than five contexts.  "));
        var tooLong = await s.Queue.CreateScopeAsync(s.Reviewer, new ScopeRequest(s.DictionaryId, "g", "Dictionary", null, false,
            Guidelines: new string('g', LabellingQueueService.MaxGuidelinesLength + 1)));

        Assert.Equal("Name the topic, not the token.\nSkip latents with fewer than five contexts.", (await s.Queue.GetScopeAsync(made.Value!.Id))!.Guidelines);
        Assert.Equal("The guidelines are 4,001 characters; the limit is 4,000.", tooLong.Validation.Errors["guidelines"]);
    }

    [Fact]
    public async Task By_default_dense_latents_are_left_out_and_the_strongest_non_dense_latent_comes_first()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await s.SetDensityAsync(9, 0.41);
        await s.SetDensityAsync(8, 0.36);
        var made = await s.Queue.CreateScopeAsync(s.Reviewer, new ScopeRequest(s.DictionaryId, "default", "Dictionary", null, false));
        var ann = s.Labellers[0];

        var look = (await s.Queue.LookAsync(ann, made.Value!.Id)).Value!;
        var first = (await s.Queue.NextAsync(ann, made.Value.Id)).Value!;
        var withDense = (await s.Queue.LookAsync(s.Labellers[1], made.Value.Id, includeDense: true)).Value!;

        Assert.Equal(QueuePriority.HighestActivationFirst, made.Value.Priority);
        Assert.Equal((2, 0.1), (look.DenseLeftOut, look.DenseThreshold));
        Assert.Equal(7, first.Assignment!.LatentIndex);            // 9 and 8 are dense; 7 has the highest max activation left
        Assert.Equal(new QueueProgress(0, 0, 8), first.Progress);   // ten alive, two dense left out
        Assert.Equal(9, withDense.Next!.LatentIndex);
        Assert.Equal(0, withDense.DenseLeftOut);
    }

    [Fact]
    public async Task Opening_the_queue_claims_nothing_until_the_labeller_starts_and_a_reload_shows_the_held_latent()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(kind: "List", definition: "2-3");
        var ann = s.Labellers[0];

        var before = (await s.Queue.LookAsync(ann, scope.Id)).Value!;
        int claimsAfterLooking;
        await using (var db = s.Db()) claimsAfterLooking = await db.QueueClaims.CountAsync();
        var started = (await s.Queue.NextAsync(ann, scope.Id)).Value!.Assignment!;
        var reload = (await s.Queue.LookAsync(ann, scope.Id)).Value!;
        var viewer = await s.Queue.LookAsync(s.Viewer, scope.Id);

        Assert.Null(before.Held);
        Assert.Equal(3, before.Next!.LatentIndex);
        Assert.Equal(0, claimsAfterLooking);
        Assert.Equal(before.Next.LatentId, started.LatentId);
        Assert.Null(reload.Next);
        Assert.Equal((started.LatentId, started.ExpiresAt), (reload.Held!.LatentId, reload.Held.ExpiresAt));
        Assert.Equal(OutcomeKind.Forbidden, viewer.Kind);
    }

    [Fact]
    public async Task My_submissions_list_my_own_work_newest_first_and_back_edits_the_last_one_as_a_new_version()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(kind: "List", definition: "1-3", labelsPerLatent: 2);
        var (ann, ben) = (s.Labellers[0], s.Labellers[1]);
        for (var i = 0; i < 2; i++)
        {
            var a = (await s.Queue.NextAsync(ann, scope.Id)).Value!.Assignment!;
            Assert.True((await s.Queue.SubmitAsync(ann, scope.Id, a.LatentId, Draft($"label {i}"))).Succeeded);
        }
        var bens = (await s.Queue.NextAsync(ben, scope.Id)).Value!.Assignment!;
        Assert.True((await s.Queue.SubmitAsync(ben, scope.Id, bens.LatentId, Draft("ben's"))).Succeeded);

        var mine = (await s.Queue.MySubmissionsAsync(ann, scope.Id)).Value!;
        var last = mine[0];
        var back = await s.Queue.EditSubmissionAsync(ann, scope.Id, last.InterpretationId, last.Version, Draft("label 1, corrected", confidence: 2));
        var stale = await s.Queue.EditSubmissionAsync(ann, scope.Id, last.InterpretationId, last.Version, Draft("from an old tab"));
        var notMine = await s.Queue.EditSubmissionAsync(ben, scope.Id, last.InterpretationId, 2, Draft("hijack"));
        var after = (await s.Queue.MySubmissionsAsync(ann, scope.Id)).Value!;

        Assert.Equal(["label 1", "label 0"], mine.Select(m => m.Label));
        Assert.All(mine, m => Assert.Equal("Pending", m.ReviewStatus));
        Assert.Equal(("Applied", 2), (back.Value!.Outcome, back.Value.Interpretation.Version));
        Assert.Equal(OutcomeKind.Conflict, stale.Kind);
        Assert.Equal(OutcomeKind.Forbidden, notMine.Kind);
        Assert.Equal(("label 1, corrected", 2, 2), (after[0].Label, after[0].Confidence, after[0].Version));
        Assert.Equal(2, after.Count);   // still two: the undo edits, it does not add
    }

    [Fact]
    public async Task The_reviewer_queue_lists_pending_work_of_the_scope_but_not_the_reviewers_own_and_decisions_leave_it()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(kind: "List", definition: "1-3", blind: true);
        var (ann, ben) = (s.Labellers[0], s.Labellers[1]);
        var reviews = s.Get<ReviewQueueService>();
        var a = (await s.Queue.NextAsync(ann, scope.Id)).Value!.Assignment!;
        var b = (await s.Queue.NextAsync(ben, scope.Id)).Value!.Assignment!;
        var annsOwn = (await s.Queue.SubmitAsync(ann, scope.Id, a.LatentId, Draft("ann's"))).Value!;
        var bensOwn = (await s.Queue.SubmitAsync(ben, scope.Id, b.LatentId, Draft("ben's"))).Value!;
        Assert.True((await s.Labelling.CreateInterpretationAsync(s.Reviewer, a.LatentId, Draft("rita's"))).Succeeded);
        Assert.True((await s.Labelling.CreateInterpretationAsync(ann, s.Latents[9], Draft("outside the scope"))).Succeeded);

        var pending = (await reviews.PendingAsync(s.Reviewer, scope.Id)).Value!;
        var byLabeller = await reviews.PendingAsync(ann, scope.Id);
        var noReason = await reviews.DecideAsync(s.Reviewer, scope.Id, bensOwn.Id, "Rejected", " ");
        var bogus = await reviews.DecideAsync(s.Reviewer, scope.Id, bensOwn.Id, "1", null);
        var accepted = await reviews.DecideAsync(s.Reviewer, scope.Id, annsOwn.Id, "Accepted", null);
        var rejected = await reviews.DecideAsync(s.Reviewer, scope.Id, bensOwn.Id, "rejected", "Too vague");
        var afterwards = (await reviews.PendingAsync(s.Reviewer, scope.Id)).Value!;
        var annSees = (await s.Queue.MySubmissionsAsync(ann, scope.Id)).Value!;

        Assert.Equal(["ann's", "ben's"], pending.Select(p => p.Label));
        Assert.Equal(OutcomeKind.Forbidden, byLabeller.Kind);
        Assert.Equal(OutcomeKind.Invalid, noReason.Kind);
        Assert.Equal(OutcomeKind.Invalid, bogus.Kind);
        Assert.Equal("Accepted", accepted.Value!.ReviewStatus);
        Assert.Equal("Rejected", rejected.Value!.ReviewStatus);
        Assert.Empty(afterwards);
        Assert.Equal(("Accepted", "ann's"), (annSees.Single().ReviewStatus, annSees.Single().Label));
    }
}
