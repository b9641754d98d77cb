using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SaeWorkbench.Data.Postgres;

/// <summary>
/// Lets <c>dotnet ef migrations add --project src/SaeWorkbench.Data.Postgres</c> build the PostgreSQL model. Adding a
/// migration never connects, so the connection string only has to parse.
/// </summary>
internal sealed class PostgresDesignTimeDbContextFactory : IDesignTimeDbContextFactory<WorkbenchDbContext>
{
    public WorkbenchDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<WorkbenchDbContext>();
        var options = new DatabaseOptions
        {
            Provider = "Postgres",
            ConnectionString = Environment.GetEnvironmentVariable("SAE_DESIGN_POSTGRES") ?? "Host=127.0.0.1;Database=saeworkbench_design",
        };
        DataServiceCollectionExtensions.Configure(builder, options, Path.GetTempPath());
        return new WorkbenchDbContext(builder.Options);
    }
}
