using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace SaeWorkbench.Data;

/// <summary>
/// Adapts the provider-neutral model to PostgreSQL where SQL text in configurations is SQLite-flavoured: a filter such
/// as <c>"IsCurrent" = 1</c> on a boolean column becomes <c>"IsCurrent"</c> (PostgreSQL has no boolean = integer).
/// </summary>
internal static partial class PostgresModel
{
    public static void Adjust(ModelBuilder builder)
    {
        foreach (var entity in builder.Model.GetEntityTypes())
        {
            var booleans = entity.GetProperties().Where(p => p.ClrType == typeof(bool) || p.ClrType == typeof(bool?))
                .Select(p => p.GetColumnName()).ToHashSet(StringComparer.Ordinal);
            foreach (var index in entity.GetIndexes())
            {
                if (index.GetFilter() is not { } filter) continue;
                index.SetFilter(BoolComparison().Replace(filter, m => booleans.Contains(m.Groups[1].Value)
                    ? (m.Groups[2].Value == "1" ? $"\"{m.Groups[1].Value}\"" : $"NOT \"{m.Groups[1].Value}\"")
                    : m.Value));
            }
        }
    }

    [GeneratedRegex("\"(\\w+)\"\\s*=\\s*([01])\\b")]
    private static partial Regex BoolComparison();
}
