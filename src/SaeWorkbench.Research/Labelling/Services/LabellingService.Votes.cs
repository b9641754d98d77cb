using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Research.Labelling.Services;

public sealed partial class LabellingService
{
    /// <summary>
    /// Sets the caller's vote on an interpretation to +1 or −1, or retracts it (<paramref name="value"/> null).
    /// The vote row and the interpretation's Score/UpVotes/DownVotes change in the same transaction.
    /// </summary>
    public async Task<Outcome<VoteOutcome>> VoteAsync(Actor actor, long interpretationId, int? value, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.Vote))
            return Outcome<VoteOutcome>.Forbidden(actor.Role, WorkbenchAction.Vote);
        var valueRule = VoteRules.ValidateValue(value);
        if (!valueRule.IsValid) return Outcome<VoteOutcome>.Refused(valueRule);

        return await transactions.RunAsync(async (w, ct) =>
        {
            var i = await w.Db.Interpretations.FirstOrDefaultAsync(x => x.Id == interpretationId, ct);
            // One that the caller may not see (blind, or deleted) answers as one that does not exist: no score, no hint.
            if (i is null || !await Crowd.InterpretationVisibility.MaySeeAsync(w.Db, actor, i, ct))
                return Outcome<VoteOutcome>.NotFound($"Interpretation {interpretationId}");
            var allowed = VoteRules.CanVote(actor.Role, actor.UserId, new VoteTarget(i.AuthorId, i.IsDeleted));
            if (!allowed.IsValid) return Outcome<VoteOutcome>.Refused(allowed);

            var row = await w.Db.Votes.FirstOrDefaultAsync(v => v.InterpretationId == i.Id && v.UserId == actor.UserId, ct);
            var change = VoteRules.Decide(row?.Value, value);
            if (change.Kind == VoteChangeKind.Unchanged)
                return Outcome<VoteOutcome>.Ok(new VoteOutcome(i.Id, change.Kind.ToString(), row?.Value, i.Score, i.UpVotes, i.DownVotes));

            var before = row is null ? null : new { InterpretationId = i.Id, actor.UserId, row.Value };
            Count(i, row?.Value, -1);
            switch (change.Kind)
            {
                case VoteChangeKind.Cast:
                    w.Db.Votes.Add(new DataLabelling.Vote { InterpretationId = i.Id, UserId = actor.UserId, Value = value!.Value, CreatedAt = w.Now, UpdatedAt = w.Now });
                    break;
                case VoteChangeKind.Changed:
                    row!.Value = value!.Value;
                    row.UpdatedAt = w.Now;
                    break;
                case VoteChangeKind.Retracted:
                    w.Db.Votes.Remove(row!);
                    break;
            }
            Count(i, change.NewValue, +1);
            i.Score += change.ScoreDelta;
            var after = change.NewValue is { } n ? new { InterpretationId = i.Id, actor.UserId, Value = n } : null;
            var action = change.Kind switch
            {
                VoteChangeKind.Cast => "vote.cast",
                VoteChangeKind.Changed => "vote.change",
                _ => "vote.retract",
            };
            AuditRecorder.Add(w.Db, actor, action, "Vote", $"{i.Id}:{actor.UserId}", before, after, w.Now);
            await w.Db.SaveChangesAsync(ct);
            await RecomputeConsensusAsync(w, i.LatentId, ct);
            w.Publish(new VoteChanged(i.LatentId, i.Id, i.Score, i.UpVotes, i.DownVotes));
            return Outcome<VoteOutcome>.Ok(new VoteOutcome(i.Id, change.Kind.ToString(), change.NewValue, i.Score, i.UpVotes, i.DownVotes));
        }, ct);
    }

    /// <summary>Adds (<paramref name="sign"/> +1) or removes (−1) one vote of <paramref name="value"/> from the up/down counters.</summary>
    private static void Count(DataLabelling.Interpretation i, int? value, int sign)
    {
        if (value == VoteRules.Up) i.UpVotes += sign;
        else if (value == VoteRules.Down) i.DownVotes += sign;
    }
}
