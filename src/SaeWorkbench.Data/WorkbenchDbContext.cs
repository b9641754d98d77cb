using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Jobs;

namespace SaeWorkbench.Data;

public class WorkbenchDbContext(DbContextOptions<WorkbenchDbContext> options) : IdentityDbContext<WorkbenchUser>(options)
{
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<JobMetric> JobMetrics => Set<JobMetric>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(WorkbenchDbContext).Assembly);
        if (Database.IsSqlite())
        {
            // SQLite cannot order or compare DateTimeOffset; store it as sortable UTC ticks.
            foreach (var entity in builder.Model.GetEntityTypes())
            foreach (var property in entity.GetProperties())
            {
                if (property.ClrType == typeof(DateTimeOffset)) property.SetValueConverter(DateTimeOffsetTicks.Converter);
                else if (property.ClrType == typeof(DateTimeOffset?)) property.SetValueConverter(DateTimeOffsetTicks.NullableConverter);
            }
        }
    }
}
