namespace SaeWorkbench.Data;

/// <summary>Settings under <c>Workbench:Database</c>.</summary>
public sealed class DatabaseOptions
{
    /// <summary><c>Sqlite</c> (default, embedded) or <c>Postgres</c>.</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Connection string; empty means the SQLite file <c>workbench.db</c> in the data directory.</summary>
    public string? ConnectionString { get; set; }
}
