using SaeWorkbench.Data.Accounts;

namespace SaeWorkbench.Web.Tests.Labelling;

/// <summary>One host for a test class, with an Admin, a Reviewer, two Labelers and a Viewer, each holding an API token.</summary>
public sealed class LabellingApiFixture : IAsyncLifetime
{
    public LabellingHarness Harness { get; } = new();
    public ApiUser Admin { get; private set; } = null!;
    public ApiUser Reviewer { get; private set; } = null!;
    public ApiUser Ann { get; private set; } = null!;
    public ApiUser Ben { get; private set; } = null!;
    public ApiUser Viewer { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Admin = await Harness.UserAsync("admin", WorkbenchRoles.Admin);
        Reviewer = await Harness.UserAsync("rita", WorkbenchRoles.Reviewer);
        Ann = await Harness.UserAsync("ann", WorkbenchRoles.Labeler);
        Ben = await Harness.UserAsync("ben", WorkbenchRoles.Labeler);
        Viewer = await Harness.UserAsync("vic", WorkbenchRoles.Viewer);
    }

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}
