using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Tests.Crowd;

namespace SaeWorkbench.Research.Tests.Explanations;

public sealed class ScoreDistributionTests
{
    [Fact]
    public void Scores_fall_into_tenths_split_by_author_kind_with_one_in_the_last_bar()
    {
        var d = ExplanationScoreReader.Distribution("detection", [(false, 0.5), (false, 0.55), (true, 1.0), (true, 0.95), (true, 0.0)]);

        Assert.Equal(10, d.Bins.Count);
        Assert.Equal((2, 0), (d.Bins[5].Human, d.Bins[5].Machine));
        Assert.Equal((0, 2), (d.Bins[9].Human, d.Bins[9].Machine));
        Assert.Equal((0, 1), (d.Bins[0].Human, d.Bins[0].Machine));
        Assert.Equal((2, 3), (d.HumanCount, d.MachineCount));
        Assert.Equal(0.525, d.HumanMean!.Value, 12);
        Assert.Equal(1.95 / 3, d.MachineMean!.Value, 12);
    }

    [Fact]
    public async Task A_score_run_again_replaces_the_older_one_in_the_distribution_and_the_history_keeps_both()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var person = await s.Labelling.CreateInterpretationAsync(s.Labellers[0], s.Latents[0], new InterpretationDraft("Years.", "", 3, null));
        Assert.True(person.Succeeded, person.Validation.ToString());
        var id = person.Value!.Id;
        await using (var db = s.Db())
        {
            // The first score by judge was high; judge's score run again (newer) is low; another model's stays.
            foreach (var (model, seed, accuracy) in new[] { ("judge", 1L, 0.95), ("judge", 2L, 0.15), ("other", 3L, 0.45) })
                db.ExplanationScores.Add(new ExplanationScore
                {
                    InterpretationId = id, InterpretationVersion = 1, Scorer = Scorers.Detection, ModelName = model,
                    PromptVersion = ClassifierPrompt.DetectionVersion, Seed = seed, Contexts = 20, BalancedAccuracy = accuracy,
                });
            await db.SaveChangesAsync();
        }
        var reader = s.Get<ExplanationScoreReader>();

        var distribution = await reader.DistributionAsync(s.DictionaryId, Scorers.Detection);
        var history = await reader.HistoryAsync(id);

        // Best of each model's newest score: 0.45 (other), not the superseded 0.95.
        Assert.Equal((1, 0.45), (distribution.HumanCount, distribution.HumanMean!.Value));
        Assert.Equal([(3L, true), (2L, true), (1L, false)], history.Select(h => (h.Seed, h.IsCurrent)));
    }
}
