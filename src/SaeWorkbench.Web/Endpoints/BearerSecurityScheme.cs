using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// Declares the API-token scheme (<c>Authorization: Bearer sae_…</c>, docs/architecture.md §9) in the OpenAPI
/// document and applies it to every operation, so generated clients know how to authenticate.
/// </summary>
public sealed class BearerSecurityScheme : IOpenApiDocumentTransformer
{
    public const string Name = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Name] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "sae_ API token",
            Description = "An API token created on the account page, sent as 'Authorization: Bearer sae_…'.",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Name, document)] = [] });
        return Task.CompletedTask;
    }
}
