using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SaeWorkbench.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> run against this project alone.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<WorkbenchDbContext>
{
    public WorkbenchDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<WorkbenchDbContext>();
        DataServiceCollectionExtensions.Configure(builder, new DatabaseOptions(), Path.GetTempPath());
        return new WorkbenchDbContext(builder.Options);
    }
}
