using System.Reflection;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>
/// Pages and components are thin (docs/architecture.md §1): they call services of the application layer, which own the
/// queries; no component injects the database or a factory of it.
/// </summary>
public sealed class ThinPagesTests
{
    [Fact]
    public void No_page_or_component_injects_a_DbContext_or_its_factory()
    {
        var components = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(ComponentBase).IsAssignableFrom(t) && !t.IsAbstract).ToList();
        Assert.True(components.Count > 20, $"only {components.Count} components found");

        var offending = components
            .SelectMany(t => t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(p => p.GetCustomAttribute<InjectAttribute>() is not null && IsDatabase(p.PropertyType))
                .Select(p => $"{t.FullName}.{p.Name}: {p.PropertyType.Name}"))
            .Concat(components.SelectMany(t => t.GetConstructors()
                .SelectMany(c => c.GetParameters()).Where(p => IsDatabase(p.ParameterType))
                .Select(p => $"{t.FullName}({p.Name}): {p.ParameterType.Name}")))
            .ToList();
        Assert.True(offending.Count == 0, "components that reach the database (call a service instead):\n" + string.Join("\n", offending));
    }

    [Theory]
    [InlineData(typeof(SaeWorkbench.Data.WorkbenchDbContext), true)]
    [InlineData(typeof(IDbContextFactory<SaeWorkbench.Data.WorkbenchDbContext>), true)]
    [InlineData(typeof(SaeWorkbench.Research.Labelling.Services.LabellingService), false)]
    public void The_database_is_recognised_by_its_context_or_factory(Type type, bool database) =>
        Assert.Equal(database, IsDatabase(type));

    private static bool IsDatabase(Type type) =>
        typeof(DbContext).IsAssignableFrom(type)
        || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDbContextFactory<>));
}
