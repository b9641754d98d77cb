using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Labelling.Services;
using Xunit.Abstractions;

namespace SaeWorkbench.Web.Tests.Labelling;

/// <summary>The labelling load test: 50 concurrent clients (40 over the API, 10 over the hub) on a handful of latents, in memory, bounded in time.</summary>
public sealed class LabellingConcurrencyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Clients = 50;
    private const int Users = 10;
    private const int Latents = 5; // two interpretations each: one by every user
    private const int HubEvery = 5; // every fifth client writes through the hub instead of the API
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(10);

    private readonly LabellingHarness _harness = new();

    [Fact]
    public async Task Fifty_clients_voting_commenting_and_editing_keep_scores_comments_edits_and_audit_exact()
    {
        await _harness.UserAsync("admin", WorkbenchRoles.Admin);
        var users = new List<ApiUser>();
        for (var u = 0; u < Users; u++) users.Add(await _harness.UserAsync($"user{u}", WorkbenchRoles.Labeler));
        var (_, latentIds) = await _harness.SeedLatentsAsync(Latents);
        // Two interpretations per latent, by different users; every user authors at least one.
        var interpretations = new List<InterpretationView>();
        for (var n = 0; n < Latents * 2; n++)
            interpretations.Add(await LabellingHarness.CreateAsync(users[n % Users], latentIds[n / 2], $"interpretation {n}"));
        var knownVersion = new ConcurrentDictionary<long, int>(interpretations.ToDictionary(i => i.Id, _ => 1));

        // Baseline: one client alone, so the report separates the cost of a write from queueing behind 49 others.
        var alone = new List<double>();
        for (var n = 0; n < 20; n++)
        {
            var watch = Stopwatch.StartNew();
            var response = await users[0].Client.PostAsJsonAsync($"/api/latents/{latentIds[0]}/comments", new { body = $"warm-up {n}" });
            alone.Add(watch.Elapsed.TotalMilliseconds);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        alone.Sort();
        output.WriteLine($"one client alone: comment latency p50 {alone[9]:F1} ms, max {alone[^1]:F1} ms");

        await using var db = _harness.Db();
        var auditBefore = await db.AuditLog.CountAsync();
        var lastAuditBefore = await db.AuditLog.MaxAsync(a => (long?)a.Id) ?? 0;
        var commentsBefore = await db.Comments.CountAsync(c => latentIds.Contains(c.LatentId));

        var accepted = 0;
        var acceptedVotes = 0;
        var conflicts = 0;
        var editsTried = 0;
        var appliedEdits = new ConcurrentDictionary<long, int>();
        var postedComments = new ConcurrentBag<string>();
        var latencies = new ConcurrentBag<double>();
        var hubLatencies = new ConcurrentBag<double>();
        var failures = new ConcurrentBag<string>();
        var deadline = Stopwatch.StartNew();

        async Task Client(int c)
        {
            var me = users[c % Users];
            // Each API client its own HttpClient (its own in-memory connection) with its user's token; hub clients their own connection.
            var http = _harness.ClientWith(me.Token);
            await using var hub = c % HubEvery == 0 ? await HubClients.ConnectAsync(_harness, me.Token) : null;
            var random = new Random(c);
            var mine = interpretations.Where(i => i.AuthorId == me.Id).ToList();
            var others = interpretations.Where(i => i.AuthorId != me.Id).ToList();
            for (var n = 0; deadline.Elapsed < RunFor; n++)
            {
                var roll = random.Next(100);
                var watch = Stopwatch.StartNew();
                var times = hub is null ? latencies : hubLatencies;
                if (roll < 55)
                {
                    var target = others[random.Next(others.Count)];
                    var value = random.Next(3) - 1;
                    string kind;
                    if (hub is not null)
                    {
                        var answer = await hub.InvokeAsync<HubAnswer>("Vote", target.Id, value == 0 ? (int?)null : value);
                        times.Add(watch.Elapsed.TotalMilliseconds);
                        if (answer.Outcome != "Ok") { failures.Add("hub vote " + answer.Outcome); continue; }
                        kind = answer.Value!.Value.GetProperty("kind").GetString()!;
                    }
                    else
                    {
                        var response = value == 0
                            ? await http.DeleteAsync($"/api/interpretations/{target.Id}/vote")
                            : await http.PutAsJsonAsync($"/api/interpretations/{target.Id}/vote", new { value });
                        times.Add(watch.Elapsed.TotalMilliseconds);
                        if (response.StatusCode != HttpStatusCode.OK) { failures.Add($"vote {(int)response.StatusCode}"); continue; }
                        kind = (await response.Content.ReadFromJsonAsync<VoteOutcome>())!.Kind;
                    }
                    if (kind != "Unchanged")
                    {
                        Interlocked.Increment(ref accepted);
                        Interlocked.Increment(ref acceptedVotes);
                    }
                }
                else if (roll < 80)
                {
                    var body = $"comment {c}-{n}";
                    var latent = latentIds[random.Next(Latents)];
                    if (hub is not null)
                    {
                        var answer = await hub.InvokeAsync<HubAnswer>("Comment", latent, body, (long?)null);
                        times.Add(watch.Elapsed.TotalMilliseconds);
                        if (answer.Outcome != "Ok") { failures.Add("hub comment " + answer.Outcome); continue; }
                    }
                    else
                    {
                        var response = await http.PostAsJsonAsync($"/api/latents/{latent}/comments", new { body });
                        times.Add(watch.Elapsed.TotalMilliseconds);
                        if (response.StatusCode != HttpStatusCode.Created) { failures.Add($"comment {(int)response.StatusCode}"); continue; }
                    }
                    postedComments.Add(body);
                    Interlocked.Increment(ref accepted);
                }
                else
                {
                    var target = mine[random.Next(mine.Count)];
                    var baseVersion = knownVersion[target.Id];
                    var label = $"edit {c}-{n}";
                    Interlocked.Increment(ref editsTried);
                    int? conflictVersion = null;
                    string outcome;
                    int newVersion = 0;
                    if (hub is not null)
                    {
                        var answer = await hub.InvokeAsync<HubAnswer>("EditInterpretation", target.Id, baseVersion,
                            new { label, description = "edited concurrently", tag = (string?)null, confidence = 3 });
                        times.Add(watch.Elapsed.TotalMilliseconds);
                        if (answer.Outcome == "Conflict") conflictVersion = answer.Conflict!.Current.Version;
                        else if (answer.Outcome != "Ok") { failures.Add("hub edit " + answer.Outcome); continue; }
                        outcome = answer.Value?.GetProperty("outcome").GetString() ?? "";
                        if (conflictVersion is null) newVersion = answer.Value!.Value.GetProperty("interpretation").GetProperty("version").GetInt32();
                    }
                    else
                    {
                        var response = await http.PutAsJsonAsync($"/api/interpretations/{target.Id}",
                            new { baseVersion, label, description = "edited concurrently", confidence = 3 });
                        times.Add(watch.Elapsed.TotalMilliseconds);
                        if (response.StatusCode == HttpStatusCode.Conflict) conflictVersion = (await response.Content.ReadFromJsonAsync<EditConflict>())!.Current.Version;
                        else if (response.StatusCode != HttpStatusCode.OK) { failures.Add($"edit {(int)response.StatusCode}"); continue; }
                        outcome = "";
                        if (conflictVersion is null)
                        {
                            var edit = (await response.Content.ReadFromJsonAsync<EditOutcomeView>())!;
                            outcome = edit.Outcome;
                            newVersion = edit.Interpretation.Version;
                        }
                    }
                    if (conflictVersion is { } current)
                    {
                        knownVersion.AddOrUpdate(target.Id, current, (_, v) => Math.Max(v, current));
                        Interlocked.Increment(ref conflicts);
                        continue;
                    }
                    if (outcome != "Applied") { failures.Add("edit " + outcome); continue; }
                    knownVersion.AddOrUpdate(target.Id, newVersion, (_, v) => Math.Max(v, newVersion));
                    appliedEdits.AddOrUpdate(target.Id, 1, (_, k) => k + 1);
                    Interlocked.Increment(ref accepted);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(() => Client(c))));
        var elapsed = deadline.Elapsed;

        Assert.Empty(failures);
        var ids = interpretations.Select(i => i.Id).ToList();
        var rows = await db.Interpretations.AsNoTracking().Where(i => ids.Contains(i.Id)).ToListAsync();
        var votes = await db.Votes.AsNoTracking().Where(v => ids.Contains(v.InterpretationId)).ToListAsync();
        foreach (var row in rows)
        {
            var mine = votes.Where(v => v.InterpretationId == row.Id).ToList();
            Assert.Equal(mine.Sum(v => v.Value), row.Score);
            Assert.Equal(mine.Count(v => v.Value == 1), row.UpVotes);
            Assert.Equal(mine.Count(v => v.Value == -1), row.DownVotes);
            var versions = await db.InterpretationVersions.CountAsync(v => v.InterpretationId == row.Id);
            Assert.Equal(1 + appliedEdits.GetValueOrDefault(row.Id), versions);
            Assert.Equal(versions, row.Version);
        }
        var stored = await db.Comments.AsNoTracking().Where(c => latentIds.Contains(c.LatentId) && !c.Body.StartsWith("warm-up")).Select(c => c.Body).ToListAsync();
        Assert.Equal(commentsBefore + postedComments.Count, await db.Comments.CountAsync(c => latentIds.Contains(c.LatentId)));
        Assert.Equal(postedComments.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
        // Every edit was applied or reported as a conflict; exactly one audit entry per accepted write, of the right kind.
        Assert.Equal(editsTried, appliedEdits.Values.Sum() + conflicts);
        Assert.Equal(accepted, await db.AuditLog.CountAsync() - auditBefore);
        var newAudit = db.AuditLog.AsNoTracking().Where(a => a.Id > lastAuditBefore);
        Assert.Equal(acceptedVotes, await newAudit.CountAsync(a => a.Action.StartsWith("vote.")));
        Assert.Equal(postedComments.Count, await newAudit.CountAsync(a => a.Action == "comment.create"));
        Assert.Equal(appliedEdits.Values.Sum(), await newAudit.CountAsync(a => a.Action == "interpretation.edit"));

        var sorted = latencies.Concat(hubLatencies).Order().ToArray();
        var apiSorted = latencies.Order().ToArray();
        var hubSorted = hubLatencies.Order().ToArray();
        static double At(double[] xs, double p) => xs[Math.Clamp((int)Math.Ceiling(p * xs.Length) - 1, 0, xs.Length - 1)];
        double Percentile(double p) => At(sorted, p);
        output.WriteLine($"{sorted.Length} writes by {Clients} clients in {elapsed.TotalSeconds:F1} s ({sorted.Length / elapsed.TotalSeconds:F0}/s): " +
                         $"{accepted} accepted, {conflicts} edit conflicts, {postedComments.Count} comments, {appliedEdits.Values.Sum()} edits applied");
        output.WriteLine($"write latency p50 {Percentile(0.50):F1} ms, p95 {Percentile(0.95):F1} ms, max {sorted[^1]:F1} ms");
        output.WriteLine($"  API ({apiSorted.Length} writes): p50 {At(apiSorted, 0.50):F1} ms, p95 {At(apiSorted, 0.95):F1} ms; " +
                         $"hub ({hubSorted.Length} writes): p50 {At(hubSorted, 0.50):F1} ms, p95 {At(hubSorted, 0.95):F1} ms");
        Assert.True(hubSorted.Length > 0 && apiSorted.Length > 0, "both the API and the hub must carry writes");
        Assert.True(sorted.Length > Clients, $"only {sorted.Length} writes completed");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _harness.DisposeAsync();
}
