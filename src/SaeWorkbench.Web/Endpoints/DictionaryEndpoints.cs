using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Dictionaries;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// Read-only REST access to dictionaries and their feature dashboards, for researchers' own scripts: what the
/// Dictionaries page and a feature page show, as JSON. Any signed-in user may read; nothing here carries
/// interpretations (labels come from the labelling API, which applies blind mode).
/// </summary>
public static class DictionaryEndpoints
{
    public static IEndpointRouteBuilder MapDictionaryEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/dictionaries").TranslatesRefusals().WithTags("Dictionaries").RequireAuthorization();
        api.MapGet("/", List).WithName("ListDictionaries").WithSummary("Every dictionary, newest first (model, hook, architecture, widths, final metrics).");
        api.MapGet("/{dictionaryId:long}", Get).WithName("GetDictionary").WithSummary("One dictionary.");
        api.MapGet("/{dictionaryId:long}/summary", Summary).WithName("GetDictionarySummary")
            .WithSummary("Dead / dense / alive counts and the log10-density histogram of the current analysis; 404 before any analysis.");
        api.MapGet("/{dictionaryId:long}/features/{index:int}/dashboard", Dashboard).WithName("GetFeatureDashboard")
            .WithSummary("A latent's dashboard: statistics, activation histogram, top and interval examples (token ids with activations), logit effects, neighbours; 404 before any analysis.");
        return app;
    }

    public static async Task<Ok<IReadOnlyList<DictionaryView>>> List(DictionaryRegistry registry, CancellationToken ct) =>
        TypedResults.Ok<IReadOnlyList<DictionaryView>>([.. (await registry.ListAsync(ct)).Select(DictionaryView.From)]);

    public static async Task<Results<Ok<DictionaryView>, NotFound>> Get(long dictionaryId, DictionaryRegistry registry, CancellationToken ct) =>
        await registry.GetAsync(dictionaryId, ct) is { } d ? TypedResults.Ok(DictionaryView.From(d)) : TypedResults.NotFound();

    public static async Task<Results<Ok<DictionaryAnalysisSummary>, NotFound>> Summary(long dictionaryId, FeatureDashboardReader reader, CancellationToken ct) =>
        await reader.GetSummaryAsync(dictionaryId, ct: ct) is { } s ? TypedResults.Ok(s) : TypedResults.NotFound();

    public static async Task<Results<Ok<FeatureDashboardView>, NotFound>> Dashboard(long dictionaryId, int index, FeatureDashboardReader reader, CancellationToken ct) =>
        await reader.GetAsync(dictionaryId, index, ct) is { } v ? TypedResults.Ok(v) : TypedResults.NotFound();
}
