using SaeWorkbench.Tests.Shared;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Tests.LabellingServices;

public sealed class LabellingServiceTests
{
    private static InterpretationDraft Draft(string label = "Fires on dates", string? tag = "entity") => new(label, "Years *and* months.", 4, tag);

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task The_service_refuses_a_Viewer_itself_and_changes_nothing(string provider)
    {
        await using var s = await ServiceDatabase.StartAsync(provider);
        var created = await s.Labelling.CreateInterpretationAsync(s.Viewer, s.LatentId, Draft());
        var comment = await s.Labelling.AddCommentAsync(s.Viewer, s.LatentId, "hello");

        Assert.Equal(OutcomeKind.Forbidden, created.Kind);
        Assert.Equal("A Viewer cannot write interpretations; ask an Admin for a role that can.", created.Validation.Errors["role"]);
        Assert.Equal(OutcomeKind.Forbidden, comment.Kind);
        await using var db = s.Db();
        Assert.Equal(0, await db.Interpretations.CountAsync() + await db.Comments.CountAsync() + await db.AuditLog.CountAsync());
    }

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task Events_are_published_after_the_commit_with_the_latent_id(string provider)
    {
        await using var s = await ServiceDatabase.StartAsync(provider);
        var seen = new List<(WorkbenchEvent Event, int RowsAtPublish)>();
        using var subscription = s.Bus.Subscribe(e =>
        {
            using var db = s.Db();
            seen.Add((e, db.Interpretations.Count()));
        });

        var i = (await s.Labelling.CreateInterpretationAsync(s.Ann, s.LatentId, Draft())).Value!;
        await s.Labelling.VoteAsync(s.Ben, i.Id, 1);
        await s.Labelling.AddCommentAsync(s.Ben, s.LatentId, "@ann nice", i.Id);
        await s.Labelling.ReviewAsync(s.Reviewer, i.Id, ReviewStatus.Accepted, null);

        Assert.Equal(["interpretationCreated", "voteChanged", "consensusChanged", "commentAdded", "notification", "interpretationReviewed", "notification", "consensusChanged"],
            seen.Select(x => x.Event.Name));
        // Every subscriber already sees the committed row (published after the commit, from another connection).
        Assert.All(seen, x => Assert.Equal(1, x.RowsAtPublish));
        Assert.Equal(["Proposed", "Accepted"], seen.Select(x => x.Event).OfType<ConsensusChanged>().Select(e => e.Status));
        Assert.All(seen.Select(x => x.Event).OfType<ConsensusChanged>(), e => Assert.Equal(s.LatentId, e.LatentId));
        Assert.Equal(s.Ann.UserId, seen.Select(x => x.Event).OfType<NotificationCreated>().Select(n => n.UserId).Distinct().Single());
    }

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task The_seeded_taxonomy_names_map_to_the_default_tag_keys(string provider)
    {
        await using var s = await ServiceDatabase.StartAsync(provider);
        var ok = await s.Labelling.CreateInterpretationAsync(s.Ann, s.LatentId, Draft(tag: "lexical-token"));
        var unknown = await s.Labelling.CreateInterpretationAsync(s.Ann, s.LatentId, Draft(tag: "astrology"));
        Assert.Equal("lexical-token", ok.Value!.Tag);
        Assert.Equal(OutcomeKind.Invalid, unknown.Kind);
        Assert.Contains("lexical-token", unknown.Validation.Errors["tag"]);
    }

    [Fact]
    public void Identity_roles_map_to_the_most_trusted_labelling_role()
    {
        Assert.Equal(Role.Reviewer, WorkbenchRoles.Highest([WorkbenchRoles.Labeler, WorkbenchRoles.Reviewer]));
        Assert.Equal(Role.Viewer, WorkbenchRoles.Highest(["Unknown"]));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "id1"), new Claim(ClaimTypes.Name, "ann"), new Claim(ClaimTypes.Role, WorkbenchRoles.Admin)], "test"));
        Assert.Equal(new Actor("id1", "ann", Role.Admin), Actor.From(principal));
        Assert.Null(Actor.From(new ClaimsPrincipal(new ClaimsIdentity())));
    }

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task Audit_export_quotes_csv_and_defuses_spreadsheet_formulas(string provider)
    {
        await using var s = await ServiceDatabase.StartAsync(provider);
        var formulaName = new Actor(s.Ann.UserId, "=SUM(1)", Role.Labeler);
        await s.Labelling.CreateInterpretationAsync(formulaName, s.LatentId, Draft(label: "dates"));
        var csv = new StringWriter();
        var refused = await s.Get<AuditQueryService>().ExportAsync(s.Reviewer, new AuditQuery(), AuditExportFormat.Csv, new StringWriter());
        var done = await s.Get<AuditQueryService>().ExportAsync(s.Admin, new AuditQuery(Action: "interpretation.create"), AuditExportFormat.Csv, csv);

        Assert.Equal(OutcomeKind.Forbidden, refused.Kind);
        Assert.True(done.Succeeded);
        var lines = csv.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("\"interpretation.create\"", lines[1]);
        Assert.Contains(",\"'=SUM(1)\",", lines[1]);
    }
}
