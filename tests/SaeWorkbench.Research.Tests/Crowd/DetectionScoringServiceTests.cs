using SaeWorkbench.Research.Labelling;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Tests.Crowd;

public sealed class DetectionScoringServiceTests
{
    [Fact]
    public async Task The_author_and_Viewers_cannot_rate_and_nothing_is_stored()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var ann = s.Labellers[0];
        var interpretation = (await s.Labelling.CreateInterpretationAsync(ann, s.Latents[1], new InterpretationDraft("dates", "", 3, "entity"))).Value!;
        var detection = s.Get<DetectionScoringService>();

        var own = await detection.OpenAsync(ann, interpretation.Id);
        var viewer = await detection.OpenAsync(s.Viewer, interpretation.Id);
        var ownSubmit = await detection.SubmitAsync(ann, interpretation.Id, [0, 1]);
        var unopened = await detection.SubmitAsync(s.Labellers[1], interpretation.Id, [0]);
        var noAnalysis = await detection.OpenAsync(s.Labellers[1], interpretation.Id);

        Assert.Equal("You cannot rate your own interpretation.", own.Validation.Errors["interpretation"]);
        Assert.Equal(OutcomeKind.Forbidden, viewer.Kind);
        Assert.Equal("You cannot rate your own interpretation.", ownSubmit.Validation.Errors["interpretation"]);
        Assert.Equal("Open the rating first; you can only mark contexts you were shown.", unopened.Validation.Errors["interpretation"]);
        Assert.Equal("This dictionary has no feature analysis yet; analyse it before rating.", noAnalysis.Validation.Errors["contexts"]);
        await using var db = s.Db();
        Assert.Equal(0, await db.DetectionSessions.CountAsync());
    }
}
