using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Crowd;
using SaeWorkbench.Data.Exports;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Live;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// Blind labelling, attacked the way a team member could: a labeller who has not labelled a latent of an open blind
/// scope (Ben), and a Viewer, must learn nothing of others' interpretations of it — labels, descriptions, versions,
/// scores, ratings, consensus, or whether any exist — through any read path: the API, the hub (methods and pushed
/// events), prerendered pages, list filters and sorts. Each test goes through the real host with real users.
/// </summary>
public sealed class BlindVisibilityTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    private const long UnknownId = 987_654_321;

    /// <summary>Latents a &lt; b &lt; c of a new dictionary; a is in a new blind scope with Ann's proposed interpretation (Rita upvoted it).</summary>
    private async Task<Blind> BlindAsync(int latents = 3)
    {
        var (dictionaryId, ids) = await f.Harness.SeedLatentsAsync(latents);
        var index = await IndexOfAsync(ids[0]);
        var scope = await f.Reviewer.Client.PostAsJsonAsync("/api/scopes",
            new { dictionaryId, name = "blind " + index, kind = "List", definition = index.ToString(), isBlind = true, labelsPerLatent = 2, claimMinutes = 15 });
        Assert.Equal(HttpStatusCode.Created, scope.StatusCode);
        var hidden = await LabellingHarness.CreateAsync(f.Ann, ids[0], "secret label of a", "a *secret* description");
        Assert.Equal(HttpStatusCode.OK, (await f.Reviewer.Client.PutAsJsonAsync($"/api/interpretations/{hidden.Id}/vote", new { value = 1 })).StatusCode);
        return new Blind(dictionaryId, ids, hidden);
    }

    private sealed record Blind(long DictionaryId, long[] Latents, InterpretationView Hidden);

    private async Task<int> IndexOfAsync(long latentId)
    {
        await using var db = f.Harness.Db();
        return await db.Latents.Where(l => l.Id == latentId).Select(l => l.Index).SingleAsync();
    }

    /// <summary>A refusal's status, title and detail with the id written as "#": what an answer may differ in for a hidden and an unknown id.</summary>
    internal static async Task<(HttpStatusCode, string?, string?)> ShapeAsync(HttpResponseMessage response, long id)
    {
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (response.StatusCode, body.GetProperty("title").GetString(), body.GetProperty("detail").GetString()?.Replace(id.ToString(), "#"));
    }

    private static void AssertNothingOf(Blind b, string text)
    {
        Assert.DoesNotContain("secret", text);
        Assert.DoesNotContain(b.Hidden.Label, text);
    }

    [Fact]
    public async Task Versions_of_a_hidden_interpretation_answer_labellers_and_viewers_as_an_unknown_id_does()
    {
        var b = await BlindAsync();
        foreach (var user in new[] { f.Ben, f.Viewer })
        {
            var hidden = await user.Client.GetAsync($"/api/interpretations/{b.Hidden.Id}/versions");
            var unknown = await user.Client.GetAsync($"/api/interpretations/{UnknownId}/versions");
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
            AssertNothingOf(b, await hidden.Content.ReadAsStringAsync());
            Assert.Equal(await ShapeAsync(unknown, UnknownId), await ShapeAsync(hidden, b.Hidden.Id));
        }
        // Its author and a Reviewer read them; so does Ben once he has labelled the latent himself.
        Assert.Equal("secret label of a", Assert.Single((await f.Ann.Client.GetFromJsonAsync<List<VersionView>>($"/api/interpretations/{b.Hidden.Id}/versions"))!).Label);
        Assert.Single((await f.Reviewer.Client.GetFromJsonAsync<List<VersionView>>($"/api/interpretations/{b.Hidden.Id}/versions"))!);
        await LabellingHarness.CreateAsync(f.Ben, b.Latents[0], "ben's own");
        Assert.Single((await f.Ben.Client.GetFromJsonAsync<List<VersionView>>($"/api/interpretations/{b.Hidden.Id}/versions"))!);
    }

    [Fact]
    public async Task Versions_of_a_deleted_interpretation_are_for_reviewers_and_admins_only()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var i = await LabellingHarness.CreateAsync(f.Ann, latent, "deleted words");
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.Client.DeleteAsync($"/api/interpretations/{i.Id}")).StatusCode);

        foreach (var user in new[] { f.Viewer, f.Ben, f.Ann })
        {
            var response = await user.Client.GetAsync($"/api/interpretations/{i.Id}/versions");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.DoesNotContain("deleted words", await response.Content.ReadAsStringAsync());
        }
        foreach (var user in new[] { f.Reviewer, f.Admin })
            Assert.Equal("deleted words", Assert.Single((await user.Client.GetFromJsonAsync<List<VersionView>>($"/api/interpretations/{i.Id}/versions"))!).Label);
    }

    [Fact]
    public async Task Opening_a_detection_rating_of_a_hidden_interpretation_shows_neither_its_label_nor_its_page()
    {
        var b = await BlindAsync();
        // Ben opened a rating of Ann's interpretation before a Reviewer put the latent in the blind scope: the stored
        // set must not hand him the label now.
        await using (var db = f.Harness.Db())
        {
            db.DetectionSessions.Add(new DetectionSession { InterpretationId = b.Hidden.Id, RaterId = f.Ben.Id, Seed = 7 });
            await db.SaveChangesAsync();
        }

        var open = await f.Ben.Client.PostAsync($"/api/interpretations/{b.Hidden.Id}/detection/open", null);
        var unknown = await f.Ben.Client.PostAsync($"/api/interpretations/{UnknownId}/detection/open", null);
        Assert.Equal(HttpStatusCode.NotFound, open.StatusCode);
        AssertNothingOf(b, await open.Content.ReadAsStringAsync());
        Assert.Equal(await ShapeAsync(unknown, UnknownId), await ShapeAsync(open, b.Hidden.Id));
        var page = await f.Ben.Client.GetStringAsync($"/labelling/rate/{b.Hidden.Id}");
        AssertNothingOf(b, page);
        Assert.Contains("was not found", page);
        // The author herself is refused for rating her own, and does not need the page to know her words; a Reviewer
        // who opened a set sees the label.
        await using (var db = f.Harness.Db())
        {
            db.DetectionSessions.Add(new DetectionSession { InterpretationId = b.Hidden.Id, RaterId = f.Reviewer.Id, Seed = 8 });
            await db.SaveChangesAsync();
        }
        Assert.Contains("secret label of a", await f.Reviewer.Client.GetStringAsync($"/labelling/rate/{b.Hidden.Id}"));
    }

    [Fact]
    public async Task A_hidden_interpretations_detection_score_answers_as_an_unrated_one()
    {
        var b = await BlindAsync();
        await using (var db = f.Harness.Db())
        {
            db.DetectionSessions.Add(new DetectionSession
            {
                InterpretationId = b.Hidden.Id, RaterId = f.Reviewer.Id, Seed = 9, SubmittedAt = DateTimeOffset.UtcNow,
                TruePositives = 8, FalsePositives = 1, TrueNegatives = 9, FalseNegatives = 2,
            });
            await db.SaveChangesAsync();
        }
        var unknown = await f.Ben.Client.GetStringAsync($"/api/interpretations/{UnknownId}/detection");
        Assert.Equal(unknown, await f.Ben.Client.GetStringAsync($"/api/interpretations/{b.Hidden.Id}/detection"));
        Assert.Equal(unknown, await f.Viewer.Client.GetStringAsync($"/api/interpretations/{b.Hidden.Id}/detection"));
        Assert.Equal(1, (await f.Reviewer.Client.GetFromJsonAsync<JsonElement>($"/api/interpretations/{b.Hidden.Id}/detection")).GetProperty("raters").GetInt32());
    }

    [Fact]
    public async Task The_status_filter_leaves_hidden_latents_out_of_the_api_list_its_total_and_the_feature_list()
    {
        var b = await BlindAsync();
        var visible = await LabellingHarness.CreateAsync(f.Ann, b.Latents[2], "open label of c");
        Assert.Equal(HttpStatusCode.OK, (await f.Reviewer.Client.PutAsJsonAsync($"/api/interpretations/{visible.Id}/vote", new { value = 1 })).StatusCode);

        foreach (var user in new[] { f.Ben, f.Viewer })
        {
            var proposed = await user.Client.GetFromJsonAsync<JsonElement>($"/api/dictionaries/{b.DictionaryId}/latents?status=Proposed");
            Assert.Equal([b.Latents[2]], proposed.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray());
            Assert.Equal(1, proposed.GetProperty("total").GetInt32());
            var page = await user.Client.GetStringAsync($"/dictionaries/{b.DictionaryId}/features?status=proposed");
            Assert.Equal([await IndexOfAsync(b.Latents[2])], RowIndices(page));
        }
        var all = await f.Reviewer.Client.GetFromJsonAsync<JsonElement>($"/api/dictionaries/{b.DictionaryId}/latents?status=Proposed");
        Assert.Equal(2, all.GetProperty("total").GetInt32());
    }

    private static int[] RowIndices(string html) =>
        Regex.Matches(html, "<tr data-index=\"(\\d+)\"").Select(m => int.Parse(m.Groups[1].Value)).ToArray();

    [Fact]
    public async Task Sorting_by_label_status_places_hidden_latents_among_the_unlabelled_in_the_list_and_for_j_and_k()
    {
        var b = await BlindAsync();
        var visible = await LabellingHarness.CreateAsync(f.Ann, b.Latents[2], "open label of c");
        Assert.Equal(HttpStatusCode.OK, (await f.Reviewer.Client.PutAsJsonAsync($"/api/interpretations/{visible.Id}/vote", new { value = 1 })).StatusCode);
        var (a, bi, c) = (await IndexOfAsync(b.Latents[0]), await IndexOfAsync(b.Latents[1]), await IndexOfAsync(b.Latents[2]));

        // Proposed sorts before Unlabelled: the Reviewer sees a and c proposed; Ben sees only c, and a where it looks.
        Assert.Equal([a, c, bi], RowIndices(await f.Reviewer.Client.GetStringAsync($"/dictionaries/{b.DictionaryId}/features?sort=labelstatus")));
        Assert.Equal([c, a, bi], RowIndices(await f.Ben.Client.GetStringAsync($"/dictionaries/{b.DictionaryId}/features?sort=labelstatus")));
        Assert.Equal([a, bi, c], RowIndices(await f.Viewer.Client.GetStringAsync($"/dictionaries/{b.DictionaryId}/features?sort=labelstatus&desc=true")));
        // j from c walks Ben to a (the next "unlabelled"), not past it as the true order would.
        var latentPage = await f.Ben.Client.GetStringAsync($"/dictionaries/{b.DictionaryId}/features/{c}?sort=labelstatus");
        Assert.Contains($"data-nav-next=\"dictionaries/{b.DictionaryId}/features/{a}?sort=labelstatus\"", latentPage);
        var withFilter = await f.Ben.Client.GetStringAsync($"/dictionaries/{b.DictionaryId}/features/{c}?status=proposed");
        Assert.DoesNotContain($"features/{a}?", withFilter);
    }

    [Fact]
    public async Task Voting_on_a_hidden_interpretation_through_the_api_or_the_hub_answers_as_an_unknown_id_and_changes_nothing()
    {
        var b = await BlindAsync();
        var before = await f.Harness.FingerprintAsync();
        var vote = await f.Ben.Client.PutAsJsonAsync($"/api/interpretations/{b.Hidden.Id}/vote", new { value = 1 });
        var unknown = await f.Ben.Client.PutAsJsonAsync($"/api/interpretations/{UnknownId}/vote", new { value = 1 });
        Assert.Equal(HttpStatusCode.NotFound, vote.StatusCode);
        Assert.DoesNotContain("score", await vote.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(await ShapeAsync(unknown, UnknownId), await ShapeAsync(vote, b.Hidden.Id));

        await using var hub = await HubClients.ConnectAsync(f.Harness, f.Ben.Token);
        var viaHub = await hub.InvokeAsync<HubAnswer>("Vote", b.Hidden.Id, (int?)1);
        Assert.Equal("NotFound", viaHub.Outcome);
        Assert.Null(viaHub.Value);
        // Editing someone else's hidden interpretation does not confirm it exists either (403 would).
        var edit = await f.Ben.Client.PutAsJsonAsync($"/api/interpretations/{b.Hidden.Id}", new { baseVersion = 1, label = "x", description = "", tag = (string?)null, confidence = 3 });
        Assert.Equal(HttpStatusCode.NotFound, edit.StatusCode);
        Assert.Equal(before, await f.Harness.FingerprintAsync());
    }

    [Fact]
    public async Task Commenting_on_a_hidden_interpretation_answers_exactly_as_for_an_unknown_one()
    {
        var b = await BlindAsync();
        var before = await f.Harness.FingerprintAsync();
        var hidden = await f.Ben.Client.PostAsJsonAsync($"/api/latents/{b.Latents[0]}/comments", new { body = "is it there?", interpretationId = b.Hidden.Id });
        var unknown = await f.Ben.Client.PostAsJsonAsync($"/api/latents/{b.Latents[0]}/comments", new { body = "is it there?", interpretationId = UnknownId });
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal(await ShapeAsync(unknown, UnknownId), await ShapeAsync(hidden, b.Hidden.Id));
        await using var hub = await HubClients.ConnectAsync(f.Harness, f.Ben.Token);
        var viaHub = await hub.InvokeAsync<HubAnswer>("Comment", b.Latents[0], "is it there?", (long?)b.Hidden.Id);
        var unknownViaHub = await hub.InvokeAsync<HubAnswer>("Comment", b.Latents[0], "is it there?", (long?)UnknownId);
        Assert.Equal("NotFound", viaHub.Outcome);
        Assert.Equal(unknownViaHub.Errors.Values.Single().Replace(UnknownId.ToString(), "#"), viaHub.Errors.Values.Single().Replace(b.Hidden.Id.ToString(), "#"));
        Assert.Equal(before, await f.Harness.FingerprintAsync());
    }

    [Fact]
    public async Task A_reviewer_demoted_while_connected_stops_receiving_events_about_blind_latents()
    {
        var b = await BlindAsync();
        var demoted = await f.Harness.UserAsync("rex-" + Guid.NewGuid().ToString("N")[..8], WorkbenchRoles.Reviewer);
        await using var rex = await HubClients.ConnectAsync(f.Harness, demoted.Token);
        await using var rita = await HubClients.ConnectAsync(f.Harness, f.Reviewer.Token);
        var rexSeen = Listen(rex);
        var ritaSeen = Listen(rita);

        // While a Reviewer, Rex gets the blind latent's events.
        await LabellingHarness.CreateAsync(f.Ben, b.Latents[0], "ben's words");
        await WaitForAsync(() => rexSeen.Any(e => e.LatentId == b.Latents[0]));

        await using (var scope = f.Harness.Host.Services.CreateAsyncScope())
            Assert.Empty(await scope.ServiceProvider.GetRequiredService<AccountService>().SetRoleAsync(demoted.Id, WorkbenchRoles.Labeler));
        rexSeen.Clear();
        ritaSeen.Clear();
        await LabellingHarness.CreateAsync(f.Ann, b.Latents[0], "ann's second");
        await LabellingHarness.CreateAsync(f.Ann, b.Latents[1], "an open latent");
        // Rita gets both; Rex only the open latent's event, which was sent after the blind one.
        await WaitForAsync(() => ritaSeen.Any(e => e.LatentId == b.Latents[0]) && rexSeen.Any(e => e.LatentId == b.Latents[1]));
        Assert.DoesNotContain(rexSeen, e => e.LatentId == b.Latents[0]);
    }

    private static ConcurrentQueue<(string Name, long LatentId)> Listen(HubConnection connection)
    {
        var seen = new ConcurrentQueue<(string, long)>();
        connection.On<string, JsonElement>("event", (name, payload) =>
        {
            if (payload.TryGetProperty("latentId", out var id)) seen.Enqueue((name, id.GetInt64()));
        });
        return seen;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(condition(), "timed out waiting for hub events");
    }

    // ---- The guard: a new read path that carries interpretation data must be registered with the rule. ----

    /// <summary>Types whose values carry interpretation data (labels, descriptions, scores, consensus, ratings, comments).</summary>
    private static readonly Type[] Carriers =
    [
        typeof(InterpretationView), typeof(VersionView), typeof(CommentView), typeof(ConsensusView), typeof(LatentLabelling),
        typeof(VoteOutcome), typeof(EditOutcomeView), typeof(EditConflict), typeof(DetectionSessionView),
        typeof(DetectionScoreView), typeof(SaeWorkbench.Research.Labelling.DetectionScore), typeof(SaeWorkbench.Research.CarryOver.SuggestionView),
        typeof(SaeWorkbench.Research.Features.FeatureRow), typeof(SaeWorkbench.Research.Features.FeaturePage),
        typeof(QueueSubmission), typeof(ReviewQueueItem),
    ];

    /// <summary>
    /// API endpoints whose handlers return an untyped result (a file, a stream, an IResult), reviewed by hand: none of
    /// them returns interpretation data to someone who may not see it. A new untyped endpoint fails the guard until it is
    /// either typed, registered in <see cref="InterpretationVisibility.ReadPaths"/>, or reviewed and added here.
    /// </summary>
    private static readonly HashSet<string> ReviewedUntyped =
    [
    ];

    /// <summary>Whether <paramref name="type"/> can hold a carrier: through generic arguments, arrays and the public properties of our own types.</summary>
    private static bool Carries(Type type, HashSet<Type>? seen = null)
    {
        seen ??= [];
        if (!seen.Add(type)) return false;
        if (Carriers.Contains(type)) return true;
        if (type.IsArray) return Carries(type.GetElementType()!, seen);
        if (type.IsGenericType && type.GetGenericArguments().Any(a => Carries(a, seen))) return true;
        return type.Namespace?.StartsWith("SaeWorkbench", StringComparison.Ordinal) == true
               && type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => Carries(p.PropertyType, seen));
    }

    /// <summary>A return type that says nothing about what goes out: IResult or object (also as a task's result).</summary>
    private static bool Untyped(Type type)
    {
        if (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>)))
            type = type.GetGenericArguments()[0];
        return type == typeof(IResult) || type == typeof(object);
    }

    [Fact]
    public void Every_api_endpoint_that_carries_interpretation_data_goes_through_the_visibility_rule()
    {
        var endpoints = f.Harness.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"])
                .Select(m => (Key: $"{m} {e.RoutePattern.RawText}", Method: e.Metadata.GetMetadata<MethodInfo>())))
            .ToList();
        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e => Assert.NotNull(e.Method));

        var carrying = endpoints.Where(e => Carries(e.Method!.ReturnType)).Select(e => e.Key).ToHashSet();
        var untyped = endpoints.Where(e => Untyped(e.Method!.ReturnType)).Select(e => e.Key).ToHashSet();
        Assert.Empty(carrying.Except(InterpretationVisibility.ReadPaths.Endpoints).Order());
        Assert.Empty(untyped.Except(InterpretationVisibility.ReadPaths.Endpoints).Except(ReviewedUntyped).Order());
        // The registry names only endpoints that exist (a renamed route must be registered again).
        Assert.Empty(InterpretationVisibility.ReadPaths.Endpoints.Except(endpoints.Select(e => e.Key)).Order());
    }

    /// <summary>Hub methods whose answer type could hold interpretation data but, reviewed by hand, never does, with why.</summary>
    private static readonly Dictionary<string, string> ReviewedHubMethods = new()
    {
        ["MarkNotificationRead"] = "answers one of the caller's own notifications; HubAnswer's Conflict is only ever set by an edit",
    };

    [Fact]
    public void Every_hub_method_that_carries_interpretation_data_goes_through_the_visibility_rule()
    {
        var methods = typeof(WorkbenchHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && m.Name is not ("OnConnectedAsync" or "OnDisconnectedAsync")).ToList();
        Assert.Empty(methods.Where(m => Carries(m.ReturnType) || Untyped(m.ReturnType))
            .Select(m => m.Name).Except(InterpretationVisibility.ReadPaths.HubMethods).Except(ReviewedHubMethods.Keys).Order());
        Assert.Empty(InterpretationVisibility.ReadPaths.HubMethods.Except(methods.Select(m => m.Name)).Order());
    }

    /// <summary>Services a component can read interpretation data through (the database included).</summary>
    private static readonly Type[] LabellingReaders =
    [
        typeof(LabellingService), typeof(DetectionScoringService), typeof(SaeWorkbench.Research.Features.FeatureCatalog),
        typeof(SaeWorkbench.Research.CarryOver.LabelCarryOver), typeof(LabellingQueueService), typeof(AgreementService), typeof(ReviewQueueService),
        typeof(SaeWorkbench.Research.Steering.SteeringCatalog),
        typeof(Microsoft.EntityFrameworkCore.IDbContextFactory<SaeWorkbench.Data.WorkbenchDbContext>),
    ];

    [Fact]
    public void Every_component_that_reads_labelling_data_is_registered_with_the_visibility_rule()
    {
        var readers = typeof(WorkbenchHub).Assembly.GetTypes()
            .Where(t => typeof(Microsoft.AspNetCore.Components.ComponentBase).IsAssignableFrom(t) && !t.IsAbstract)
            .Where(t => t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Any(p => p.GetCustomAttribute<Microsoft.AspNetCore.Components.InjectAttribute>() is not null && LabellingReaders.Contains(p.PropertyType)))
            .Select(t => t.FullName!).ToList();
        Assert.NotEmpty(readers);
        var unregistered = readers.Except(InterpretationVisibility.ReadPaths.Components).Order().ToList();
        Assert.True(unregistered.Count == 0, "not registered with InterpretationVisibility.ReadPaths.Components: " + string.Join(", ", unregistered));
        Assert.Empty(InterpretationVisibility.ReadPaths.Components.Except(readers).Order());
    }

    /// <summary>Events about a latent that carry no interpretation data, with why they may go to everyone.</summary>
    private static readonly Dictionary<Type, string> EventsForEveryone = new()
    {
        [typeof(LatentViewersChanged)] = "who has the latent's page open: presence, shown to all viewers of the latent",
    };

    [Fact]
    public void Every_event_about_a_latent_or_an_interpretation_goes_only_to_those_who_may_see_it()
    {
        var events = typeof(WorkbenchEvent).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(WorkbenchEvent)) && !t.IsAbstract).ToList();
        Assert.NotEmpty(events);
        foreach (var type in events)
        {
            var aboutLatent = type.GetProperty("LatentId") is not null || type.GetProperty("InterpretationId") is not null
                              || type.GetProperties().Any(p => Carries(p.PropertyType));
            if (!aboutLatent || EventsForEveryone.ContainsKey(type)) continue;
            var ctor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            var e = (WorkbenchEvent)ctor.Invoke(ctor.GetParameters()
                .Select(p => p.ParameterType == typeof(string) ? "" : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray());
            Assert.True(InterpretationVisibility.LatentOf(e) is not null, $"{type.Name} is about a latent but the hub would send it to everyone");
        }
    }
}

/// <summary>Label carry-over suggestions repeat their source interpretation's label: hidden sources stay hidden (a host of its own, whose suggestion cache starts empty).</summary>
public sealed class BlindSuggestionTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    [Fact]
    public async Task A_suggestion_whose_source_is_hidden_is_not_offered_to_those_who_may_not_see_it()
    {
        var (dictionaryId, ids) = await f.Harness.SeedLatentsAsync(2);
        await using (var db = f.Harness.Db())
        {
            var index = await db.Latents.Where(l => l.Id == ids[0]).Select(l => l.Index).SingleAsync();
            var scope = await f.Reviewer.Client.PostAsJsonAsync("/api/scopes",
                new { dictionaryId, name = "blind", kind = "List", definition = index.ToString(), isBlind = true, labelsPerLatent = 2, claimMinutes = 15 });
            Assert.Equal(HttpStatusCode.Created, scope.StatusCode);
        }
        var source = await LabellingHarness.CreateAsync(f.Ann, ids[0], "secret source label");
        var suggestion = new LabelSuggestion
        {
            LatentId = ids[1], SourceDictionaryId = dictionaryId, SourceLatentIndex = 0, SourceInterpretationId = source.Id,
            Cosine = 0.97, Label = source.Label, Description = source.Description, Tag = source.Tag, Confidence = source.Confidence,
        };
        await using (var db = f.Harness.Db())
        {
            db.Set<LabelSuggestion>().Add(suggestion);
            await db.SaveChangesAsync();
        }

        foreach (var user in new[] { f.Ben, f.Viewer })
            Assert.Equal("[]", await user.Client.GetStringAsync($"/api/latents/{ids[1]}/suggestions"));
        Assert.Contains("secret source label", await f.Reviewer.Client.GetStringAsync($"/api/latents/{ids[1]}/suggestions"));
        Assert.Contains("secret source label", await f.Ann.Client.GetStringAsync($"/api/latents/{ids[1]}/suggestions"));

        // Accepting it by id (which would make its label Ben's own) answers as an unknown suggestion does.
        var before = await f.Harness.FingerprintAsync();
        var accept = await f.Ben.Client.PostAsync($"/api/suggestions/{suggestion.Id}/accept", null);
        var unknown = await f.Ben.Client.PostAsync("/api/suggestions/987654321/accept", null);
        Assert.Equal(HttpStatusCode.NotFound, accept.StatusCode);
        Assert.Equal(await BlindVisibilityTests.ShapeAsync(unknown, 987654321), await BlindVisibilityTests.ShapeAsync(accept, suggestion.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await f.Ben.Client.PostAsync($"/api/suggestions/{suggestion.Id}/reject", null)).StatusCode);
        Assert.Equal(before, await f.Harness.FingerprintAsync());
    }
}
