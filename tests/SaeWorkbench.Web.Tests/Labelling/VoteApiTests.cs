using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Tests.Labelling;

public sealed class VoteApiTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    private async Task<VoteOutcome> VoteAsync(ApiUser voter, long id, int? value)
    {
        var response = value is { } v
            ? await voter.Client.PutAsJsonAsync($"/api/interpretations/{id}/vote", new { value = v })
            : await voter.Client.DeleteAsync($"/api/interpretations/{id}/vote");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<VoteOutcome>())!;
    }

    [Fact]
    public async Task Votes_are_cast_changed_and_retracted_and_the_counters_follow_the_vote_rows()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent);

        var cast = await VoteAsync(f.Ben, i.Id, 1);
        Assert.Equal(("Cast", 1, 1, 1, 0), (cast.Kind, cast.MyVote, cast.Score, cast.UpVotes, cast.DownVotes));
        var down = await VoteAsync(f.Reviewer, i.Id, -1);
        Assert.Equal((0, 1, 1), (down.Score, down.UpVotes, down.DownVotes));
        var changed = await VoteAsync(f.Ben, i.Id, -1);
        Assert.Equal(("Changed", -2, 0, 2), (changed.Kind, changed.Score, changed.UpVotes, changed.DownVotes));
        var same = await VoteAsync(f.Ben, i.Id, -1);
        Assert.Equal(("Unchanged", -2), (same.Kind, same.Score));
        var retracted = await VoteAsync(f.Ben, i.Id, null);
        Assert.Equal(("Retracted", (int?)null, -1, 0, 1), (retracted.Kind, retracted.MyVote, retracted.Score, retracted.UpVotes, retracted.DownVotes));

        await using var db = f.Harness.Db();
        var votes = await db.Votes.Where(v => v.InterpretationId == i.Id).ToListAsync();
        var row = await db.Interpretations.SingleAsync(x => x.Id == i.Id);
        Assert.Equal(votes.Sum(v => v.Value), row.Score);
        Assert.Equal(-1, row.Score);
        Assert.Single(votes);
        // Cast, cast, change, retract: four accepted writes; the repeated vote wrote nothing.
        Assert.Equal(4, await db.AuditLog.CountAsync(a => a.EntityType == "Vote" && a.EntityId.StartsWith(i.Id + ":")));
    }

    [Fact]
    public async Task Voting_on_your_own_interpretation_is_refused_and_nothing_changes()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent);
        var before = await f.Harness.FingerprintAsync();

        var response = await f.Ann.Client.PutAsJsonAsync($"/api/interpretations/{i.Id}/vote", new { value = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("your own interpretation", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await f.Harness.FingerprintAsync());
    }

    [Fact]
    public async Task Voting_on_a_deleted_interpretation_is_refused_and_nothing_changes()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent);
        await VoteAsync(f.Ben, i.Id, 1);
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.Client.DeleteAsync($"/api/interpretations/{i.Id}")).StatusCode);
        var before = await f.Harness.FingerprintAsync();

        var vote = await f.Reviewer.Client.PutAsJsonAsync($"/api/interpretations/{i.Id}/vote", new { value = 1 });
        var retract = await f.Ben.Client.DeleteAsync($"/api/interpretations/{i.Id}/vote");

        Assert.Equal(HttpStatusCode.BadRequest, vote.StatusCode);
        Assert.Contains("deleted", await vote.Content.ReadAsStringAsync());
        // Deleted interpretations are seen by Reviewers and Admins only: to a Labeler it answers as an unknown id does.
        Assert.Equal(HttpStatusCode.NotFound, retract.StatusCode);
        Assert.Equal(before, await f.Harness.FingerprintAsync());
    }

    [Fact]
    public async Task A_vote_other_than_plus_or_minus_one_is_refused()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent);
        var before = await f.Harness.FingerprintAsync();
        var response = await f.Ben.Client.PutAsJsonAsync($"/api/interpretations/{i.Id}/vote", new { value = 5 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await f.Harness.FingerprintAsync());
    }
}
