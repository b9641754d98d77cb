using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Exports;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Research.CarryOver;
using SaeWorkbench.Research.Labelling;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Export;

public class CarryOverTests
{
    private static readonly int[] Permutation = [7, 3, 11, 0, 5, 9, 1, 10, 2, 8, 4, 6];

    [Fact]
    public void Decoder_matching_recovers_a_permutation_exactly_and_is_one_to_one()
    {
        using var scope = NewDisposeScope();
        using var g = new TorchSharp.torch.Generator(5);
        var old = randn([64, 16], generator: g);
        var perm = randperm(64, generator: g);
        var copy = old.index_select(0, perm) + 0.01f * randn([64, 16], generator: g);
        var matches = DecoderMatching.Match(old, copy);
        Assert.Equal(64, matches.Count);
        var p = perm.data<long>().ToArray();
        Assert.All(matches, m => Assert.Equal(p[m.NewIndex], m.OldIndex));
        Assert.All(matches, m => Assert.True(m.Cosine >= 0.9f));
        // Two new latents equally close to one old latent: only one gets it.
        var twins = cat([old.narrow(0, 0, 1), old.narrow(0, 0, 1)]);
        var one = DecoderMatching.Match(old, twins);
        Assert.Single(one);
        Assert.Equal((0, 0), (one[0].NewIndex, one[0].OldIndex));
        // Nothing close enough: no match.
        Assert.Empty(DecoderMatching.Match(old, randn([8, 16], generator: g), threshold: 0.99));
    }

    [Fact]
    public async Task Carry_over_matches_a_permuted_copy_exactly_and_accept_reject_and_carry_all_are_audited()
    {
        await using var w = await ExportWorkspace.StartAsync();
        long oldId, newId;
        using (var sae = ExportWorkspace.RandomSae(3)) oldId = await w.AddDictionaryAsync("old", sae, analyse: false);
        await w.LabelAsync(oldId); // consensus on 2 (accepted) and 5 (proposed); 9 has no consensus
        using (var permuted = ExportWorkspace.RandomSae(3, Permutation)) newId = await w.AddDictionaryAsync("new", permuted, analyse: false);

        // Labelers cannot compute suggestions; Reviewers can.
        Assert.Equal(SaeWorkbench.Research.Labelling.Services.OutcomeKind.Forbidden, (await w.Get<LabelCarryOver>().SuggestAsync(w.Ann, newId)).Kind);
        // The feature page's question before any suggestion exists (the answer is cached): none. Suggesting clears it.
        await using (var db = w.Db())
            foreach (var latentId in await db.Latents.Where(l => l.DictionaryId == newId).Select(l => l.Id).ToListAsync())
                Assert.Empty(await w.Get<LabelCarryOver>().PendingForLatentAsync(null, latentId));
        var summary = await w.Get<LabelCarryOver>().SuggestAsync(w.Reviewer, newId);
        Assert.True(summary.Succeeded);
        Assert.Equal(ExportWorkspace.DSae, summary.Value!.Matches);
        Assert.Equal(2, summary.Value.Suggestions);

        var suggestions = await w.Get<LabelCarryOver>().ForDictionaryAsync(newId);
        await using (var db = w.Db())
        {
            var indexOf = await db.Latents.Where(l => l.DictionaryId == newId).ToDictionaryAsync(l => l.Id, l => l.Index);
            // New latent i is old latent Permutation[i]: the suggestion for old 2 sits on the i with Permutation[i] == 2.
            Assert.Equal([(Array.IndexOf(Permutation, 2), 2), (Array.IndexOf(Permutation, 5), 5)],
                suggestions.Select(s => (indexOf[s.LatentId], s.SourceLatentIndex)).OrderBy(x => x.Item2).ToList());
            Assert.All(suggestions, s => Assert.True(s.Cosine > 0.9999));
            Assert.Contains("from dictionary old", suggestions[0].Provenance);
        }
        // Suggesting again adds nothing.
        Assert.Equal(0, (await w.Get<LabelCarryOver>().SuggestAsync(w.Reviewer, newId)).Value!.Suggestions);

        var forTwo = suggestions.Single(s => s.SourceLatentIndex == 2);
        var forFive = suggestions.Single(s => s.SourceLatentIndex == 5);
        var pending = await w.Get<LabelCarryOver>().PendingForLatentAsync(null, forTwo.LatentId);
        Assert.Equal("numbers after a dollar sign", Assert.Single(pending).Label);

        // Ann accepts one: an interpretation by her, audited; Ben rejects the other.
        var accepted = await w.Get<LabelCarryOver>().AcceptAsync(w.Ann, forTwo.Id);
        Assert.True(accepted.Succeeded, accepted.Validation.ToString());
        Assert.False((await w.Get<LabelCarryOver>().AcceptAsync(w.Ben, forTwo.Id)).Succeeded);
        Assert.True((await w.Get<LabelCarryOver>().RejectAsync(w.Ben, forFive.Id)).Succeeded);
        Assert.Empty(await w.Get<LabelCarryOver>().PendingForLatentAsync(null, forTwo.LatentId));
        await using (var db = w.Db())
        {
            var i = await db.Interpretations.SingleAsync(x => x.Id == accepted.Value);
            Assert.Equal((w.Ann.UserId, "numbers after a dollar sign", forTwo.LatentId), (i.AuthorId, i.Label, i.LatentId));
            Assert.Equal(1, await db.AuditLog.CountAsync(e => e.Action == "suggestion.accept" && e.UserId == w.Ann.UserId));
            Assert.Equal(1, await db.AuditLog.CountAsync(e => e.Action == "suggestion.reject" && e.UserId == w.Ben.UserId));
            Assert.Equal(1, await db.InterpretationVersions.CountAsync(v => v.InterpretationId == i.Id));
        }

        // Admin carries everything over in one action: a fresh permuted dictionary gets both labels at once.
        long third;
        using (var again = ExportWorkspace.RandomSae(3, [.. Permutation.Reverse()])) third = await w.AddDictionaryAsync("third", again, analyse: false);
        Assert.True((await w.Get<LabelCarryOver>().SuggestAsync(w.Admin, third, oldId)).Succeeded);
        Assert.False((await w.Get<LabelCarryOver>().CarryAllAsync(w.Reviewer, third)).Succeeded);
        var carried = await w.Get<LabelCarryOver>().CarryAllAsync(w.Admin, third);
        Assert.Equal(2, carried.Value);
        await using (var db = w.Db())
        {
            var labels = await (from i in db.Interpretations join l in db.Latents on i.LatentId equals l.Id
                                where l.DictionaryId == third select new { l.Index, i.Label, i.AuthorId }).ToListAsync();
            var reversed = Permutation.Reverse().ToArray();
            Assert.Equal([(Array.IndexOf(reversed, 2), "numbers after a dollar sign"), (Array.IndexOf(reversed, 5), "closing quotation marks")],
                labels.OrderBy(x => x.Label == "closing quotation marks").Select(x => (x.Index, x.Label)).ToList());
            Assert.All(labels, x => Assert.Equal(w.Admin.UserId, x.AuthorId));
            Assert.Equal(1, await db.AuditLog.CountAsync(e => e.Action == "carryover.all"));
            Assert.Equal(0, await db.Set<LabelSuggestion>().CountAsync(s => s.Status == SuggestionStatus.Pending && db.Latents.Any(l => l.Id == s.LatentId && l.DictionaryId == third)));
        }
    }
}
