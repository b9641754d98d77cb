using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Research.Models;
using SaeWorkbench.Web.Hosting;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// The model registry over HTTP: everyone signed in lists the registered models; Labelers (who may name folders in
/// job forms) list the folders found under the import roots; Admins register, unregister and set the compute dtype.
/// </summary>
public static class ModelEndpoints
{
    public static IEndpointRouteBuilder MapModelEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/models").TranslatesRefusals().WithTags("Models");
        var writes = api.MapGroup("").RequireRateLimiting(LabellingApiServices.WritePolicy);
        api.MapGet("", List).WithSummary("Registered models: family, size, dtypes, memory estimate at the compute dtype, hook points, where used.");
        api.MapGet("/found", Found).RequirePermission(WorkbenchAction.ImportDictionary)
            .WithSummary("Model folders found under the import roots (Workbench:ImportRoots), each with its problems; computeDtype for the memory estimate.");
        writes.MapPost("", Register).RequirePermission(WorkbenchAction.ManageModels)
            .WithSummary("Register a model folder (path under the import roots, name, computeDtype); every problem is listed at once.");
        writes.MapPut("/{id:long}/compute-dtype", SetComputeDtype).RequirePermission(WorkbenchAction.ManageModels)
            .WithSummary("Set the dtype (float32, bfloat16, float16) the model is loaded in for inference and jobs.");
        writes.MapDelete("/{id:long}", Unregister).RequirePermission(WorkbenchAction.ManageModels)
            .WithSummary("Unregister a model (the folder is kept); refused while a dictionary or an unfinished job uses it.");
        return app;
    }

    public sealed record ModelResponse(long Id, string Name, string Folder, string Family, long Parameters, string StoredDtype,
        string ComputeDtype, long? MemoryBytes, long? AvailableBytes, bool? Fits, string? Problem,
        IReadOnlyList<DictionaryUse> Dictionaries, IReadOnlyList<JobUse> Jobs, IReadOnlyList<HookPointView> Hooks, DateTimeOffset RegisteredAt)
    {
        public static ModelResponse Of(RegisteredModelView v) => new(v.Model.Id, v.Model.Name, v.Model.FolderPath, v.Model.Family,
            v.Model.Parameters, v.Model.StoredDtype, v.Model.ComputeDtype, v.Info?.Memory.TotalBytes, v.Info?.Memory.AvailableBytes,
            v.Info?.Memory.Fits, v.Problem, v.Usage.Dictionaries, v.Usage.Jobs, v.Info is { } i ? HookPointView.Of(i) : [], v.Model.RegisteredAt);
    }

    public sealed record FoundResponse(string Folder, string? Family, long? Parameters, string? StoredDtype, long? MemoryBytes,
        IReadOnlyList<string> Problems, long? RegisteredId);

    public sealed record DtypeRequest(string ComputeDtype);

    public static async Task<Ok<IReadOnlyList<ModelResponse>>> List(ModelRegistry models, CancellationToken ct) =>
        TypedResults.Ok<IReadOnlyList<ModelResponse>>((await models.DescribeAsync(ct)).Select(ModelResponse.Of).ToList());

    // Refusals (a folder's or dtype's problems 400, a role 403, an unknown model 404, a model still in use 409) are answered
    // by RefusalFilter.
    public static async Task<Results<Ok<IReadOnlyList<FoundResponse>>, ValidationProblem>> Found(ModelRegistry models, string? computeDtype,
        CancellationToken ct)
    {
        var found = await models.ScanAsync(computeDtype ?? ComputeDtypes.Float32, ct);
        return TypedResults.Ok<IReadOnlyList<FoundResponse>>(found.Select(f => new FoundResponse(f.Check.FullPath ?? f.Check.Path,
            f.Check.Info?.Family, f.Check.Info?.Parameters, f.Check.Info?.StoredDtype, f.Check.Info?.Memory.TotalBytes, f.Check.Problems,
            f.Registered?.Id)).ToList());
    }

    public static async Task<Results<Created<ModelResponse>, ValidationProblem, ProblemHttpResult>> Register(ModelRegistration request,
        ModelRegistry models, ClaimsPrincipal user, CancellationToken ct)
    {
        var model = await models.RegisterAsync(request, OutcomeResults.ActorOf(user), ct);
        var view = (await models.DescribeAsync(ct)).Single(v => v.Model.Id == model.Id);
        return TypedResults.Created($"/api/models/{model.Id}", ModelResponse.Of(view));
    }

    public static async Task<Results<Ok<ModelResponse>, NotFound, ValidationProblem, ProblemHttpResult>> SetComputeDtype(long id,
        DtypeRequest request, ModelRegistry models, ClaimsPrincipal user, CancellationToken ct)
    {
        await models.SetComputeDtypeAsync(id, request.ComputeDtype, OutcomeResults.ActorOf(user), ct);
        return TypedResults.Ok(ModelResponse.Of((await models.DescribeAsync(ct)).Single(v => v.Model.Id == id)));
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Unregister(long id, ModelRegistry models, ClaimsPrincipal user,
        CancellationToken ct)
    {
        await models.UnregisterAsync(id, OutcomeResults.ActorOf(user), ct);
        return TypedResults.NoContent();
    }
}
