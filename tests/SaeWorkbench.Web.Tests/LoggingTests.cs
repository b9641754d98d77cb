using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using SaeWorkbench.Research.Diagnostics;

namespace SaeWorkbench.Web.Tests;

/// <summary>Console log scopes read as "Key:value", never as a collection's type name.</summary>
public sealed class LoggingTests
{
    [Fact]
    public void A_log_scope_prints_its_names_and_values_and_enumerates_them_for_structured_logs()
    {
        var scope = new LogScope(("JobId", 7L), ("JobKind", "train"));

        Assert.Equal("JobId:7 JobKind:train", scope.ToString());
        Assert.Equal(["JobId", "JobKind"], scope.Select(kv => kv.Key));
        Assert.Equal(7L, scope[0].Value);
    }

    [Fact]
    public void The_simple_console_writes_the_scope_without_a_dictionary_type_name()
    {
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            using (var factory = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.IncludeScopes = true; o.SingleLine = true; })))
            {
                var logger = factory.CreateLogger("test");
                using (logger.BeginScope(new LogScope(("RequestId", "abc123"))))
                    logger.LogWarning("hello");
            }
        }
        finally
        {
            Console.SetOut(original);
        }

        var text = output.ToString();
        Assert.Contains("RequestId:abc123", text);
        Assert.DoesNotContain("Dictionary", text);
    }
}
