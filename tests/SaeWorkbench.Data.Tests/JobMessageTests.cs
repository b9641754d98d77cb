using SaeWorkbench.Data.Jobs;

namespace SaeWorkbench.Data.Tests;

/// <summary>A job's status line has one length limit: the column's width, which every writer cuts to.</summary>
public sealed class JobMessageTests
{
    [Fact]
    public async Task The_message_column_is_as_wide_as_the_limit_the_writers_cut_to()
    {
        await using var database = await new TestDatabase().InitializeAsync();
        await using var db = database.Create();
        var column = db.Model.FindEntityType(typeof(Job))!.FindProperty(nameof(Job.Message))!;
        Assert.Equal(Job.MaxMessageLength, column.GetMaxLength());
    }

    [Fact]
    public void A_long_message_is_cut_to_the_limit_and_a_short_one_is_left_alone()
    {
        Assert.Equal(Job.MaxMessageLength, Job.FitMessage(new string('x', Job.MaxMessageLength + 1))!.Length);
        Assert.Equal("step 3/10", Job.FitMessage("step 3/10"));
        Assert.Null(Job.FitMessage(null));
    }
}
