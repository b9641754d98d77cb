using SaeWorkbench.Web.Hosting;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = ContentRootLocator.Find(),
});
builder.AddWorkbench();

var app = builder.Build();
await app.PrepareWorkbenchAsync();
app.UseWorkbench();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
