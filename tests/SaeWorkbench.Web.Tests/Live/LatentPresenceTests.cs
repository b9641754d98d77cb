using Microsoft.Extensions.Logging.Abstractions;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Web.Live;

namespace SaeWorkbench.Web.Tests.Live;

public sealed class LatentPresenceTests
{
    [Fact]
    public void Viewers_are_counted_once_per_user_and_changes_are_published_only_when_the_names_change()
    {
        var bus = new WorkbenchEventBus(NullLogger<WorkbenchEventBus>.Instance);
        var published = new List<LatentViewersChanged>();
        using var _ = bus.Subscribe(e => { if (e is LatentViewersChanged v) published.Add(v); });
        var presence = new LatentPresence(bus);

        presence.Join(7, "ann", "page:a1");
        presence.Join(7, "ann", "page:a2"); // a second tab: no change
        presence.Join(7, "ben", "hub:b1");
        presence.Join(8, "ben", "hub:b1");
        Assert.Equal(["ann", "ben"], presence.Viewers(7));
        Assert.Equal(["ben"], presence.Viewers(8));

        presence.Leave(7, "page:a1"); // ann still has a tab open
        Assert.Equal(["ann", "ben"], presence.Viewers(7));
        presence.LeaveAll("hub:b1");
        Assert.Equal(["ann"], presence.Viewers(7));
        Assert.Empty(presence.Viewers(8));
        presence.Leave(7, "page:a2");
        presence.Leave(7, "page:never-joined");
        Assert.Empty(presence.Viewers(7));

        Assert.Equal(
            ["7:ann", "7:ann,ben", "8:ben", "7:ann", "8:", "7:"],
            published.Select(p => $"{p.LatentId}:{string.Join(",", p.UserNames)}"));
    }
}
