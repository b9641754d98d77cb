using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Tests.Analysis;

public class FeatureAnalysisJobTests
{
    private static readonly string Root = Directory.CreateTempSubdirectory("wb-analysis-job-").FullName;

    private static IReadOnlyList<string> Validate(AnalysisDatabase database, string json)
    {
        var paths = new WorkbenchPaths(Root, Root);
        return new FeatureAnalysisJob(paths, new ServerPathPolicy(paths, new WorkbenchSettings()), new JobLimits(), database)
            .Validate(JsonDocument.Parse(json).RootElement);
    }

    [Fact]
    public async Task Parameters_are_checked_field_by_field()
    {
        await using var database = await new AnalysisDatabase().InitializeAsync();
        IReadOnlyList<string> Validate(string json) => FeatureAnalysisJobTests.Validate(database, json);

        var errors = Validate("""{"dictionaryId": 0, "corpus": "no-such-folder-here", "tokens": 0, "windowsPerBatch": 0}""");
        Assert.Contains(errors, e => e.StartsWith("dictionaryId:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("corpus:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("tokens:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("windowsPerBatch:", StringComparison.Ordinal));
        Assert.Empty(Validate($$"""{"dictionaryId": 3, "corpus": {{JsonSerializer.Serialize(Root)}}, "tokens": 1000}"""));
    }

    [Fact]
    public void The_research_services_register_the_analyze_job_kind()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new WorkbenchPaths(Path.GetTempPath(), Path.GetTempPath()));
        services.AddWorkbenchData(new DatabaseOptions(), Path.GetTempPath());
        services.AddResearch();
        using var provider = services.BuildServiceProvider();
        Assert.Contains(provider.GetServices<IJobKind>(), k => k.Name == "sae-analyze");
    }
}
