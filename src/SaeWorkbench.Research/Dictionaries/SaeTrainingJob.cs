using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>
/// Trains a dictionary from a form or the API: progress and metrics (loss, L0, FVU, dead fraction) stream to the
/// live monitor; checkpoints live in the job's folder so a restarted job resumes; the result is registered.
/// </summary>
public sealed class SaeTrainingJob(WorkbenchPaths paths, ServerPathPolicy folders, JobLimits limits) : IJobKind
{
    public const string KindName = "sae-train";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Name => KindName;

    public string Description => "Train a sparse autoencoder on a model's activations at a hook point.";

    public IReadOnlyList<string> Validate(JsonElement parameters)
    {
        SaeTrainingRequest? request;
        try { request = parameters.Deserialize<SaeTrainingRequest>(Json); }
        catch (JsonException e) { return [$"parameters: {e.Message}"]; }
        return request is null ? ["parameters: missing"] : request.Validate(folders, limits);
    }

    public object? Run(JobContext context)
    {
        var request = context.Parameters.Deserialize<SaeTrainingRequest>(Json)!;
        var registry = context.Services.GetRequiredService<DictionaryRegistry>();
        var output = Path.Combine(paths.SharedDirectory, "dictionaries", $"job-{context.JobId}");
        var checkpoints = Path.Combine(context.ArtifactsDirectory, "checkpoints");
        var clock = Stopwatch.StartNew();
        var progress = new Progress(context, clock);
        // The runner confines the folders again: the row may predate the rule or a change of the import roots.
        var model = Confined("model", request.Model);
        var corpus = Confined("corpus", request.Corpus);
        var outcome = SaeTrainingPipeline.Run(request, model, corpus, output, checkpoints, progress,
            s => context.Report(progress.Fraction, s), context.Cancellation, context.Services.GetRequiredService<Models.IModelComputeDtypes>().ComputeDtypeOf(model));
        var hooks = outcome.Config.IsTranscoder ? $"{request.Hook}→{request.HookOut}" : request.Hook;
        var name = string.IsNullOrWhiteSpace(request.Name) ? $"{outcome.ModelName} {hooks} {request.Arch} {request.Latents}" : request.Name;
        var metrics = SaeTrainingPipeline.MetricsJson(outcome.Metrics, outcome.LanguageModelMetrics).ToJsonString();
        var dictionary = registry.RegisterAsync(output, name, model, metrics, JsonSerializer.Serialize(outcome.Config),
            outcome.Result.Tokens, context.JobId, null, CancellationToken.None).GetAwaiter().GetResult();
        long? analysisJob = null;
        if (request.AnalyzeTokens > 0)
        {
            var jobs = context.Services.GetRequiredService<JobService>();
            var analysis = new Analysis.FeatureAnalysisRequest { DictionaryId = dictionary.Id, Corpus = request.Corpus, Tokens = request.AnalyzeTokens, Seed = request.Seed };
            analysisJob = jobs.EnqueueAsync(Analysis.FeatureAnalysisJob.KindName, JsonSerializer.Serialize(analysis, Json), null, CancellationToken.None)
                .GetAwaiter().GetResult().Id;
        }
        context.Report(1, $"dictionary #{dictionary.Id}: L0 {outcome.Metrics.L0:F1}, explained variance {outcome.Metrics.ExplainedVariance:P1}, " +
                          $"CE loss recovered {outcome.LanguageModelMetrics.CeLossRecovered:P1}");
        return new { dictionaryId = dictionary.Id, analysisJobId = analysisJob, metrics = JsonDocument.Parse(metrics).RootElement };
    }

    private string Confined(string field, string path) =>
        folders.Folder(path) is { FullPath: { } full } ? full : throw new ArgumentException($"{field}: {ServerPathPolicy.Refusal}");

    /// <summary>Turns training progress into job progress (with ETA) and metric points for the monitor.</summary>
    private sealed class Progress(JobContext context, Stopwatch clock) : IProgress<SaeTrainingProgress>
    {
        public double Fraction { get; private set; }

        public void Report(SaeTrainingProgress p)
        {
            // Training is ~95% of the work; evaluation and export follow.
            Fraction = 0.95 * p.Step / Math.Max(1, p.TotalSteps);
            var eta = p.Step > 0 ? TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds * (p.TotalSteps - p.Step) / p.Step) : (TimeSpan?)null;
            context.ReportMetrics(p.Step, new Dictionary<string, double>
            {
                ["loss"] = p.Loss, ["mse"] = p.Mse, ["l0"] = p.L0, ["fvu"] = p.Fvu, ["explained_variance"] = 1 - p.Fvu,
                ["dead_fraction"] = p.DeadFraction, ["tokens_per_second"] = p.TokensPerSecond, ["lr"] = p.LearningRate,
            });
            context.Report(Fraction, $"step {p.Step}/{p.TotalSteps}, loss {p.Loss:G4}, L0 {p.L0:F1}, FVU {p.Fvu:F3}" +
                                     (eta is { } e ? $", about {e:hh\\:mm\\:ss} left" : ""));
        }
    }
}
