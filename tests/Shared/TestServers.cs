using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SaeWorkbench.Tests.Shared;

/// <summary>
/// Real PostgreSQL and Redis servers for the tests, installed from Debian packages (scripts/prereqs.sh) and started here
/// on loopback, on free ports, in temporary folders; stopped and removed when the test process exits (PostgreSQL) or
/// when the test disposes them (Redis, one server per test so that pub/sub channels never mix between tests).
/// </summary>
public static class TestServers
{
    private static readonly Lazy<PostgresCluster> Cluster = new(PostgresCluster.Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The providers every data-layer test runs on.</summary>
    public static TheoryData<string> Providers => new() { "Sqlite", "Postgres" };

    /// <summary>A connection string to a new, empty database on this process's PostgreSQL cluster (EF creates it on migrate).</summary>
    public static string NewPostgresDatabase() =>
        $"Host=127.0.0.1;Port={Cluster.Value.Port};Username=postgres;Database=wb_{Guid.NewGuid():N};Pooling=true;Maximum Pool Size=20;Include Error Detail=true";

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    internal static bool IsRoot() => Environment.UserName == "root";

    internal static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private sealed class PostgresCluster
    {
        public required int Port { get; init; }
        public required string Directory { get; init; }
        public required string Bin { get; init; }

        public static PostgresCluster Start()
        {
            var bin = System.IO.Directory.Exists("/usr/lib/postgresql")
                ? System.IO.Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                    .Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
                : null;
            if (bin is null)
                throw new InvalidOperationException("PostgreSQL server binaries (/usr/lib/postgresql/*/bin/pg_ctl) are missing: run scripts/prereqs.sh (as root it installs the 'postgresql' package).");
            SweepLeftovers(bin);
            // PostgreSQL refuses to run as root: then the cluster belongs to the 'postgres' user.
            var dir = Path.Combine(Path.GetTempPath(), $"wb-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
            System.IO.Directory.CreateDirectory(dir);
            string[] As(params string[] a) => IsRoot() ? ["-u", "postgres", "--", .. a] : a;
            var runner = IsRoot() ? "runuser" : null;
            (int, string) Exec(string tool, params string[] a) => runner is null ? Run(Path.Combine(bin, tool), a) : Run(runner, As([Path.Combine(bin, tool), .. a]));
            if (IsRoot())
            {
                var (c, o) = Run("chown", "postgres:postgres", dir);
                if (c != 0) throw new InvalidOperationException($"chown of {dir} to postgres failed: {o}");
            }
            var data = Path.Combine(dir, "data");
            var (code, output) = Exec("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8");
            if (code != 0) throw new InvalidOperationException($"initdb failed ({code}): {output}");
            for (var attempt = 0; ; attempt++)
            {
                var port = FreePort();
                (code, output) = Exec("pg_ctl", "-D", data, "-l", Path.Combine(dir, "log"), "-w", "-t", "60", "start", "-o",
                    $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300");
                if (code == 0)
                {
                    var cluster = new PostgresCluster { Port = port, Directory = dir, Bin = bin };
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Stop(Exec);
                    return cluster;
                }
                if (attempt == 2) throw new InvalidOperationException($"pg_ctl start failed ({code}): {output}\n{TryRead(Path.Combine(dir, "log"))}");
            }
        }

        private void Stop(Func<string, string[], (int, string)> exec)
        {
            exec("pg_ctl", ["-D", Path.Combine(Directory, "data"), "-m", "immediate", "-w", "stop"]);
            try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        /// <summary>
        /// Clusters of test processes that are gone (a test host killed before its exit handler finished): stopped if
        /// still running, then removed.
        /// </summary>
        private static void SweepLeftovers(string bin)
        {
            foreach (var old in System.IO.Directory.GetDirectories(Path.GetTempPath(), "wb-pg-*"))
            {
                var parts = Path.GetFileName(old).Split('-');
                if (parts.Length < 3 || !int.TryParse(parts[2], out var pid) || ProcessAlive(pid)) continue;
                var data = Path.Combine(old, "data");
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                    _ = IsRoot()
                        ? Run("runuser", "-u", "postgres", "--", Path.Combine(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
                        : Run(Path.Combine(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop");
                try { System.IO.Directory.Delete(old, true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }

        private static bool ProcessAlive(int pid)
        {
            try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
            catch (ArgumentException) { return false; }
            catch (InvalidOperationException) { return false; }
        }

        private static string TryRead(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
    }
}

/// <summary>A redis-server of its own on a free loopback port, without persistence; killed on dispose.</summary>
public sealed class RedisServer : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private RedisServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The value for <c>Workbench:Redis</c>.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        var exe = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
                  ?? throw new InvalidOperationException("redis-server is missing: run scripts/prereqs.sh (as root it installs the 'redis-server' package).");
        for (var attempt = 0; ; attempt++)
        {
            var port = TestServers.FreePort();
            var dir = Directory.CreateTempSubdirectory("wb-redis-").FullName;
            var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
            foreach (var a in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "no" })
                psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            p.OutputDataReceived += (_, e) => { if (e.Data?.Contains("Ready to accept connections", StringComparison.Ordinal) == true) ready.TrySetResult(); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var done = await Task.WhenAny(ready.Task, p.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(20)));
            if (done == ready.Task) return new RedisServer(p, dir, port);
            try { p.Kill(true); } catch (InvalidOperationException) { }
            p.Dispose();
            if (attempt == 2) throw new InvalidOperationException($"redis-server did not start on port {port}");
        }
    }

    public void Dispose()
    {
        try { _process.Kill(true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
