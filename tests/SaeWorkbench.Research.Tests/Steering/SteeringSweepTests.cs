using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Crowd;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Steering;

namespace SaeWorkbench.Research.Tests.Steering;

public class SteeringSweepTests
{
    private static SteeringSweepRequest Sweep(SteeringWorld w, params double[] strengths) =>
        new() { Request = w.Request(samples: 1), Strengths = strengths };

    [Fact]
    public async Task A_sweep_streams_every_strength_beside_one_baseline_and_a_column_saves_as_a_comparison()
    {
        await using var w = await SteeringWorld.StartAsync();
        var progress = new List<SweepProgress>();
        var sweep = await w.Steering.SweepAsync(w.Ann, Sweep(w, 0, 8, 30), progress.Add);
        var sample = Assert.Single(sweep.Result.Samples);
        Assert.Equal(3, sample.Variants.Count);
        Assert.Equal(sample.Baseline.TokenIds, sample.Variants[0].TokenIds);          // α = 0 changes nothing
        Assert.Contains(progress, p => p.QueuePosition == 0);
        Assert.Equal(sample.Steps.Count, progress.Count(p => p.Step is not null));

        // Column 1 is the comparison of the same request at α = 8 with the same seed.
        var single = await w.Steering.RunAsync(w.Ann, w.Request(strength: 8, samples: 1));
        Assert.Equal(single.Result.Samples[0].Baseline.TokenIds, sample.Baseline.TokenIds);
        Assert.Equal(single.Result.Samples[0].Steered.TokenIds, sample.Variants[1].TokenIds);
        var column = sweep.Comparison(1);
        Assert.Equal(8, column.Request.Interventions[0].Value);
        var id = await w.Steering.SaveAsync(w.Ann, column, "α = 8 of a sweep", null);
        Assert.Equal(sample.Variants[1].Text, (await w.Steering.GetAsync(id))!.Result.Samples[0].Steered.Text);
    }

    [Fact]
    public async Task A_sweep_with_bad_strengths_is_refused_naming_the_field_before_it_runs()
    {
        await using var w = await SteeringWorld.StartAsync(new SteeringLimits { MaxSweepStrengths = 3, MaxTokensTimesSamples = 20 });
        async Task<string> Refused(SteeringSweepRequest r) => (await Assert.ThrowsAsync<ArgumentException>(() => w.Steering.SweepAsync(w.Ann, r))).Message;
        Assert.Contains("strengths: give 1 to 3", await Refused(Sweep(w)));
        Assert.Contains("strengths: give 1 to 3", await Refused(Sweep(w, 1, 2, 3, 4)));
        Assert.Contains("not a finite number", await Refused(Sweep(w, 1, double.NaN)));
        Assert.Contains("each strength once", await Refused(Sweep(w, 2, 2)));
        Assert.Contains("max tokens × samples × strengths", await Refused(Sweep(w, 1, 2, 3)));
        var ablation = Sweep(w, 1, 2) with { Request = w.Request(samples: 1) with { Interventions = [new LatentIntervention(2, InterventionKind.Ablate)] } };
        Assert.Contains("ablation has no strength", await Refused(ablation));
        await Assert.ThrowsAsync<RefusedException>(() => w.Steering.SweepAsync(w.Viewer, Sweep(w, 1)));
        Assert.Equal(0, w.Host.QueueOf(w.ModelFolder).Waiting);
    }

    [Fact]
    public async Task Latents_are_found_by_label_and_blind_mode_neither_shows_nor_matches_a_hidden_label()
    {
        await using var w = await SteeringWorld.StartAsync();
        var catalog = w.Catalog;
        await using (var db = w.Db())
        {
            var latents = await db.Latents.Where(l => l.DictionaryId == w.DictionaryId).OrderBy(l => l.Index).ToListAsync();
            (latents[1].ConsensusLabel, latents[1].LabelStatus, latents[1].MaxActivation) = ("War and conflict", LabelStatus.Accepted, 2.5);
            (latents[4].ConsensusLabel, latents[4].LabelStatus) = ("warm weather", LabelStatus.Proposed);
            var scope = new LabellingScope { DictionaryId = w.DictionaryId, Name = "blind", IsBlind = true, CreatedById = w.Ann.UserId };
            db.LabellingScopes.Add(scope);
            await db.SaveChangesAsync();
            db.ScopeLatents.Add(new ScopeLatent { ScopeId = scope.Id, LatentId = latents[4].Id });
            await db.SaveChangesAsync();
        }
        var reviewer = new Actor("u-rev", "rev", Role.Reviewer);

        var forReviewer = await catalog.SearchLatentsAsync(reviewer, w.DictionaryId, "WAR");
        Assert.Equal([1, 4], forReviewer.Select(l => l.Index));
        var war = forReviewer[0];
        Assert.Equal("War and conflict", war.Label);
        Assert.Equal(SteeringDefaults.Strength(2.5), war.DefaultStrength);

        // Ann has not labelled latent 4 in its blind scope: its label neither matches nor shows, even by index.
        Assert.Equal([1], (await catalog.SearchLatentsAsync(w.Ann, w.DictionaryId, "war")).Select(l => l.Index));
        Assert.Empty(await catalog.SearchLatentsAsync(w.Ann, w.DictionaryId, "warm"));
        var byIndex = Assert.Single(await catalog.SearchLatentsAsync(w.Ann, w.DictionaryId, "#4"));
        Assert.True(byIndex.LabelHidden);
        Assert.Null(byIndex.Label);
        Assert.Equal(SteeringDefaults.WithoutAnalysis, byIndex.DefaultStrength);
        Assert.Equal("warm weather", Assert.Single(await catalog.SearchLatentsAsync(reviewer, w.DictionaryId, "4")).Label);
        // An empty query lists the labelled latents the viewer may see.
        Assert.Equal([1], (await catalog.SearchLatentsAsync(w.Ann, w.DictionaryId, "")).Select(l => l.Index));
        Assert.Empty(await catalog.SearchLatentsAsync(w.Ann, w.DictionaryId, "#99"));
    }

    [Fact]
    public async Task Each_dictionary_gives_its_own_models_tokenizer()
    {
        await using var w = await SteeringWorld.StartAsync();
        var other = await w.RegisterOtherModelAsync();
        var mine = await w.Catalog.TokenizerAsync(w.DictionaryId);
        var theirs = await w.Catalog.TokenizerAsync(other);
        Assert.NotNull(mine);
        Assert.NotNull(theirs);
        Assert.NotEqual(mine.VocabSize, theirs.VocabSize);
        Assert.Null(await w.Catalog.TokenizerAsync(999));
        Assert.Equal([w.DictionaryId, w.BadHookDictionaryId, other], (await w.Catalog.DictionariesAsync()).Select(d => d.Id).Order());
    }
}
