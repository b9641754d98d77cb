using System.Text.Json;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Ml.Sae;

namespace SaeWorkbench.Web.Tests;

/// <summary>Enums in API JSON are names, not declaration-order numbers.</summary>
public sealed class ApiJsonTests
{
    [Fact]
    public void Job_state_and_architecture_are_written_as_names_with_the_web_defaults()
    {
        var json = JsonSerializer.Serialize(new { State = JobState.Running, Arch = SaeArchitecture.TopK }, JsonSerializerOptions.Web);

        Assert.Equal("""{"state":"Running","arch":"TopK"}""", json);
    }

    [Fact]
    public void Numbers_written_before_the_change_are_still_read()
    {
        Assert.Equal(JobState.Running, JsonSerializer.Deserialize<JobState>("1", JsonSerializerOptions.Web));
        Assert.Equal(SaeArchitecture.TopK, JsonSerializer.Deserialize<SaeArchitecture>("\"TopK\"", JsonSerializerOptions.Web));
    }
}
