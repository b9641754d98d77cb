using System.Text.RegularExpressions;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Limits;
using SaeWorkbench.Research.Models;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>Pages tell refusals from faults in one place (<see cref="Refusals"/>), so no page keeps a catch list of its own.</summary>
public sealed partial class RefusalsTests
{
    [Fact]
    public void Every_kind_of_refusal_becomes_its_messages_and_a_fault_does_not()
    {
        Assert.Equal(["latents: must be at least 1", "k: must be at most latents"],
            Refusals.Of(new JobValidationException(["latents: must be at least 1", "k: must be at most latents"])));
        Assert.Equal(["The folder has no cfg.json."], Refusals.Of(new ImportValidationException(["The folder has no cfg.json."])));
        Assert.Equal(["name: already registered."], Refusals.Of(new ModelRegistrationException(["name: already registered."])));
        Assert.Equal([Permissions.Refusal(Role.Viewer, WorkbenchAction.RunSteering)],
            Refusals.Of(RefusedException.Forbidden(Role.Viewer, WorkbenchAction.RunSteering)));
        Assert.StartsWith("Too many", Refusals.Message(new RateLimitedException(WorkKind.ModelPass, TimeSpan.FromSeconds(3))));
        Assert.NotNull(Refusals.Message(new InferenceQueueFullException(4)));
        Assert.Equal("type a prompt", Refusals.Message(new ArgumentException("type a prompt")));
        Assert.NotNull(Refusals.Message(new InvalidOperationException("the model is still in use by dictionary 3")));

        Assert.Null(Refusals.Of(new NullReferenceException()));
        Assert.Null(Refusals.Message(new ObjectDisposedException("circuit")));
        Assert.Null(Refusals.Message(new OperationCanceledException()));
    }

    /// <summary>Catches in components that are not refusals, each with why.</summary>
    private static readonly Dictionary<string, string> OtherCatches = new(StringComparer.Ordinal)
    {
        ["catch (OperationCanceledException)"] = "the user cancelled a run: not a refusal, nothing to show but that",
        ["catch (JSDisconnectedException)"] = "the circuit is gone with the page that held the JS reference",
        ["catch (JsonException)"] = "stored JSON of an older shape is shown as empty rather than failing the page",
        ["catch (System.Text.Json.JsonException)"] = "an audit entry whose JSON cannot be read is shown as changed",
        ["catch (FormatException)"] = "a number typed in a list becomes the field's refusal",
        ["catch (OverflowException)"] = "a number typed in a list becomes the field's refusal",
        ["catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or OperationCanceledException)"] =
            "a prefetch in the background that the page's end cancelled: nothing to show",
    };

    [Fact]
    public void No_component_keeps_a_catch_list_of_its_own()
    {
        var root = RepositoryRoot.Path;
        var components = Path.Combine(root, "src", "SaeWorkbench.Web", "Components");
        var catches = Directory.EnumerateFiles(components, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(f => Catch().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetRelativePath(root, f), Clause: Regex.Replace(m.Value, @"\s+", " ").Trim())))
            .ToList();
        Assert.NotEmpty(catches);
        var own = catches.Where(c => !c.Clause.Contains("when (Refusals.", StringComparison.Ordinal) && !OtherCatches.ContainsKey(c.Clause))
            .Select(c => $"{c.File}: {c.Clause}").ToList();
        Assert.True(own.Count == 0, "catch with Refusals.Message(e) / Refusals.Of(e) instead:\n" + string.Join("\n", own));
    }

    // A catch clause with its filter, up to the filter's closing parenthesis at the end of the line.
    [GeneratedRegex(@"catch \([^)]*\)(?:\s*when \((?:[^()]|\([^()]*\))*\))?")]
    private static partial Regex Catch();
}
