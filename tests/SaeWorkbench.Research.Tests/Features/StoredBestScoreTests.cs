using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Data.Labelling;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Tests.Crowd;

namespace SaeWorkbench.Research.Tests.Features;

/// <summary>
/// The stored best score (Latent.BestScore, kept by LatentBestScores on every save) against a brute-force recomputation
/// of its rule (docs/science.md §13) after random writes of every kind, and the score views of the list read from it.
/// </summary>
public sealed class StoredBestScoreTests
{
    /// <summary>The rule, computed here in memory from every row: the best of each live interpretation's human score
    /// (once rated) and, on its current version, each scorer and model's newest score.</summary>
    private static async Task<Dictionary<long, double?>> BruteForceAsync(WorkbenchDbContext db, long dictionaryId)
    {
        var latents = await db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId).Select(l => l.Id).ToListAsync();
        var interpretations = await db.Interpretations.AsNoTracking().ToListAsync();
        var scores = await db.ExplanationScores.AsNoTracking().ToListAsync();
        return latents.ToDictionary(id => id, id =>
        {
            var values = new List<double>();
            foreach (var i in interpretations.Where(i => i.LatentId == id && !i.IsDeleted))
            {
                if (i.DetectionRatings > 0 && i.DetectionScore is { } human) values.Add(human);
                values.AddRange(scores.Where(s => s.InterpretationId == i.Id && s.InterpretationVersion == i.Version)
                    .GroupBy(s => (s.Scorer, s.ModelName)).Select(g => g.MaxBy(s => s.Id)!.BalancedAccuracy)
                    .Where(b => b is not null).Select(b => b!.Value));
            }
            return values.Count == 0 ? (double?)null : values.Max();
        });
    }

    /// <summary>Asserts that every stored best score equals the rule; returns how many latents are scored.</summary>
    private static async Task<int> AssertStoredEqualsRuleAsync(CrowdDatabase s, string after)
    {
        await using var db = s.Db();
        var expected = await BruteForceAsync(db, s.DictionaryId);
        var stored = await db.Latents.AsNoTracking().Where(l => l.DictionaryId == s.DictionaryId).ToDictionaryAsync(l => l.Id, l => l.BestScore);
        foreach (var (id, best) in expected)
            Assert.True(best == stored[id], $"latent {id} after {after}: stored {stored[id]?.ToString() ?? "null"}, rule {best?.ToString() ?? "null"}");
        return expected.Count(e => e.Value is not null);
    }

    private static InterpretationDraft Draft(string label) => new(label, "", 3, null);

    [Fact]
    public async Task The_stored_best_score_equals_the_rule_after_every_kind_of_write()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var rng = new Random(21);
        var kinds = new Dictionary<string, int>();
        var mostScored = 0;
        for (var step = 0; step < 90; step++)
        {
            await using var db = s.Db();
            var live = await db.Interpretations.Where(i => !i.IsDeleted).ToListAsync();
            var all = await db.Interpretations.ToListAsync();
            var kind = live.Count < 3 ? 0 : rng.Next(9);
            var latent = s.Latents[rng.Next(CrowdDatabase.LatentCount)];
            string what;
            switch (kind)
            {
                case 0: // a new interpretation, through the labelling service
                {
                    var author = s.Labellers[rng.Next(s.Labellers.Count)];
                    Assert.True((await s.Labelling.CreateInterpretationAsync(author, latent, Draft($"label {step}"))).Succeeded);
                    what = "a new interpretation";
                    break;
                }
                case 1: // an edit: a new version, so the model scores of the old one stop counting
                {
                    var i = live[rng.Next(live.Count)];
                    var author = s.Labellers.First(a => a.UserId == i.AuthorId);
                    var edit = await s.Labelling.EditInterpretationAsync(author, i.Id, i.Version, Draft($"edited {step}"));
                    Assert.True(edit.Succeeded, edit.Kind + " " + edit.Message);
                    what = "an edit";
                    break;
                }
                case 2: // a deletion (soft), through the labelling service
                {
                    var i = live[rng.Next(live.Count)];
                    var deletion = await s.Labelling.DeleteInterpretationAsync(s.Reviewer with { Role = Role.Admin }, i.Id);
                    Assert.True(deletion.Succeeded, deletion.Kind + " " + deletion.Message);
                    what = "a deletion";
                    break;
                }
                case 3 or 4: // a model score, on the current version or an older one, sometimes without a balanced accuracy
                {
                    var i = rng.Next(4) == 0 ? all[rng.Next(all.Count)] : live[rng.Next(live.Count)];
                    var version = rng.Next(3) == 0 ? Math.Max(1, i.Version - 1) : i.Version;
                    db.ExplanationScores.Add(new ExplanationScore
                    {
                        InterpretationId = i.Id, InterpretationVersion = version, Scorer = rng.Next(2) == 0 ? "detection" : "fuzzing", ModelName = rng.Next(2) == 0 ? "rater" : "other rater",
                        PromptVersion = "v1", BalancedAccuracy = rng.Next(6) == 0 ? null : Math.Round(rng.NextDouble(), 3),
                    });
                    await db.SaveChangesAsync();
                    what = "a model score";
                    break;
                }
                case 5: // pooled human detection ratings (as DetectionScoringService writes them), sometimes none yet
                {
                    var i = rng.Next(4) == 0 ? all[rng.Next(all.Count)] : live[rng.Next(live.Count)];
                    i.DetectionRatings = rng.Next(3);
                    i.DetectionScore = i.DetectionRatings == 0 ? null : Math.Round(rng.NextDouble(), 3);
                    await db.SaveChangesAsync();
                    what = "detection ratings";
                    break;
                }
                case 6: // a model score changed or removed
                {
                    var score = await db.ExplanationScores.OrderBy(x => x.Id).Skip(rng.Next(Math.Max(1, await db.ExplanationScores.CountAsync()))).FirstOrDefaultAsync();
                    if (score is null) continue;
                    if (rng.Next(2) == 0) db.ExplanationScores.Remove(score);
                    else score.BalancedAccuracy = Math.Round(rng.NextDouble(), 3);
                    await db.SaveChangesAsync();
                    what = "a model score changed or removed";
                    break;
                }
                case 7: // an interpretation removed for good (its scores go with it) or moved to another latent
                {
                    var i = all[rng.Next(all.Count)];
                    if (rng.Next(2) == 0) db.Interpretations.Remove(i);
                    else i.LatentId = latent;
                    await db.SaveChangesAsync();
                    what = "an interpretation removed or moved";
                    break;
                }
                default: // changes that do not touch the inputs (a vote, a review) leave the scores as they are
                {
                    var i = live[rng.Next(live.Count)];
                    await s.Labelling.VoteAsync(s.Labellers.First(a => a.UserId != i.AuthorId), i.Id, 1);
                    what = "a vote";
                    break;
                }
            }
            kinds[what] = kinds.GetValueOrDefault(what) + 1;
            mostScored = Math.Max(mostScored, await AssertStoredEqualsRuleAsync(s, $"step {step}: {what}"));
        }
        Assert.Equal(8, kinds.Count); // every kind of write happened
        Assert.True(mostScored >= 3, $"at most {mostScored} latents were scored at once");
    }

    [Fact]
    public async Task A_score_run_again_supersedes_the_older_one_of_the_same_scorer_and_model_even_when_lower()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var i = (await s.Labelling.CreateInterpretationAsync(s.Labellers[0], s.Latents[4], Draft("years"))).Value!;
        async Task<double?> ScoreAsync(string scorer, string model, double accuracy)
        {
            await using var db = s.Db();
            db.ExplanationScores.Add(new ExplanationScore { InterpretationId = i.Id, InterpretationVersion = 1, Scorer = scorer, ModelName = model, PromptVersion = "v1", BalancedAccuracy = accuracy });
            await db.SaveChangesAsync();
            return await db.Latents.Where(l => l.Id == s.Latents[4]).Select(l => l.BestScore).SingleAsync();
        }
        Assert.Equal(0.95, await ScoreAsync("detection", "m", 0.95));
        Assert.Equal(0.6, await ScoreAsync("detection", "m", 0.6));   // the same model scored again: the new score replaces it
        Assert.Equal(0.7, await ScoreAsync("fuzzing", "m", 0.7));     // another scorer counts beside it
        Assert.Equal(0.8, await ScoreAsync("detection", "n", 0.8));   // and another model
    }

    [Fact]
    public async Task A_save_that_fails_leaves_no_best_score_behind()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var i = (await s.Labelling.CreateInterpretationAsync(s.Labellers[0], s.Latents[4], Draft("years"))).Value!;
        await using var db = s.Db();
        db.ExplanationScores.Add(new ExplanationScore { InterpretationId = i.Id, InterpretationVersion = 1, Scorer = "detection", ModelName = "r", PromptVersion = "v1", BalancedAccuracy = 0.9 });
        db.ExplanationScores.Add(new ExplanationScore { InterpretationId = 999_999, InterpretationVersion = 1, Scorer = "detection", ModelName = "r", PromptVersion = "v1", BalancedAccuracy = 0.8 });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        await using var check = s.Db();
        Assert.Null(await check.Latents.Where(l => l.Id == s.Latents[4]).Select(l => l.BestScore).SingleAsync());
        Assert.Equal(0, await check.ExplanationScores.CountAsync());
    }

    [Fact]
    public async Task Start_up_repairs_best_scores_written_past_the_save()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var i = (await s.Labelling.CreateInterpretationAsync(s.Labellers[0], s.Latents[4], Draft("years"))).Value!;
        await using (var db = s.Db())
        {
            db.ExplanationScores.Add(new ExplanationScore { InterpretationId = i.Id, InterpretationVersion = 1, Scorer = "detection", ModelName = "r", PromptVersion = "v1", BalancedAccuracy = 0.75 });
            await db.SaveChangesAsync();
            // As a database from before the column, or another tool writing to the file, would leave them.
            await db.Latents.Where(l => l.Id == s.Latents[4]).ExecuteUpdateAsync(u => u.SetProperty(l => l.BestScore, (double?)null));
            await db.Latents.Where(l => l.Id == s.Latents[6]).ExecuteUpdateAsync(u => u.SetProperty(l => l.BestScore, 0.5));
            Assert.Equal(2, await LatentBestScores.RepairAsync(db));
            Assert.Equal(0, await LatentBestScores.RepairAsync(db)); // only rows that differ are written
        }
        Assert.Equal(1, await AssertStoredEqualsRuleAsync(s, "the repair"));
        await using var check = s.Db();
        Assert.Equal(0.75, await check.Latents.Where(l => l.Id == s.Latents[4]).Select(l => l.BestScore).SingleAsync());
    }

    [Fact]
    public async Task The_score_views_list_the_scored_latents_in_the_rules_order_with_their_neighbours_and_positions()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var rng = new Random(7);
        await using (var db = s.Db())
        {
            foreach (var index in new[] { 0, 2, 3, 5, 6, 8, 9 })
            {
                var i = (await s.Labelling.CreateInterpretationAsync(s.Labellers[index], s.Latents[index], Draft($"label {index}"))).Value!;
                // Ties on 0.5 order by index.
                db.ExplanationScores.Add(new ExplanationScore { InterpretationId = i.Id, InterpretationVersion = 1, Scorer = "fuzzing", ModelName = "r", PromptVersion = "v1",
                    BalancedAccuracy = index is 3 or 8 ? 0.5 : Math.Round(rng.NextDouble(), 3) });
            }
            await db.SaveChangesAsync();
        }
        await using var read = s.Db();
        var rule = await BruteForceAsync(read, s.DictionaryId);
        var indexOf = await read.Latents.Where(l => l.DictionaryId == s.DictionaryId).ToDictionaryAsync(l => l.Id, l => l.Index);
        var catalog = s.Get<FeatureCatalog>();
        foreach (var (descending, min) in new[] { (true, (double?)null), (false, null), (true, 0.5), (false, 0.5) })
        {
            var scored = rule.Where(r => r.Value is { } v && (min is null || v >= min)).Select(r => (Index: indexOf[r.Key], Score: r.Value!.Value)).ToList();
            var expected = (descending ? scored.OrderByDescending(x => x.Score) : scored.OrderBy(x => x.Score)).ThenBy(x => x.Index).Select(x => x.Index).ToList();
            var query = new FeatureQuery { Sort = FeatureSort.BestScore, Descending = descending, MinScore = min };
            var page = await catalog.QueryAsync(s.DictionaryId, query, s.Reviewer);
            Assert.Equal(expected, page.Rows.Select(r => r.Index));
            Assert.Equal(expected.Count, page.Total);
            Assert.All(page.Rows, r => Assert.Equal(rule[r.LatentId], r.BestScore));
            // The minimum score on the index sort keeps the same latents.
            if (min is { } m)
                Assert.Equal(expected.Order(), (await catalog.QueryAsync(s.DictionaryId, new FeatureQuery { MinScore = m }, s.Reviewer)).Rows.Select(r => r.Index));
            for (var at = 0; at < expected.Count; at++)
            {
                Assert.Equal((at > 0 ? expected[at - 1] : (int?)null, at < expected.Count - 1 ? expected[at + 1] : null),
                    await catalog.NeighboursAsync(s.DictionaryId, expected[at], query, s.Reviewer));
                Assert.Equal((at + 1, expected.Count), await catalog.PositionAsync(s.DictionaryId, expected[at], query, s.Reviewer));
            }
            Assert.Null(await catalog.PositionAsync(s.DictionaryId, 1, query, s.Reviewer)); // unscored: not in the list
        }
    }

    [Fact]
    public async Task A_row_says_whether_a_model_account_wrote_its_consensus_unless_blind_mode_hides_it()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var model = await s.Get<ModelAccounts>().EnsureAsync("tiny-explainer");
        var machine = await s.Labelling.CreateInterpretationAsync(model, s.Latents[2], Draft("machine words"), "tiny-explainer", default);
        var person = await s.Labelling.CreateInterpretationAsync(s.Labellers[0], s.Latents[3], Draft("person words"));
        foreach (var made in new[] { machine, person })
            Assert.True((await s.Labelling.ReviewAsync(s.Reviewer, made.Value!.Id, ReviewStatus.Accepted, null)).Succeeded);
        var catalog = s.Get<FeatureCatalog>();
        var rows = (await catalog.QueryAsync(s.DictionaryId, new FeatureQuery(), s.Reviewer)).Rows.ToDictionary(r => r.Index);
        Assert.True(rows[2].ConsensusByModel);
        Assert.Equal("machine words", rows[2].ConsensusLabel);
        Assert.False(rows[3].ConsensusByModel);
        Assert.False(rows[4].ConsensusByModel); // no consensus
        Assert.True(LatentListItem.From(rows[2]).ConsensusByModel);

        await s.ScopeAsync(blind: true);
        var blind = (await catalog.QueryAsync(s.DictionaryId, new FeatureQuery(), s.Labellers[5])).Rows.ToDictionary(r => r.Index);
        Assert.True(blind[2].ConsensusHidden);
        Assert.False(blind[2].ConsensusByModel);
    }
}
