using System.Security.Claims;

namespace SaeWorkbench.Research.Labelling.Services;

/// <summary>Who is asking: the signed-in user's id, name and role, taken from the server-side principal.</summary>
public sealed record Actor(string UserId, string UserName, Role Role)
{
    /// <summary>The actor of a signed-in principal (cookie or API token); null when anonymous.</summary>
    public static Actor? From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true) return null;
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (string.IsNullOrEmpty(id)) return null;
        var name = principal.FindFirstValue(ClaimTypes.Name) ?? id;
        return new Actor(id, name, WorkbenchRoles.Highest(principal.FindAll(ClaimTypes.Role).Select(c => c.Value)));
    }

    /// <summary>Whether this actor may do <paramref name="action"/> (<see cref="Permissions"/>).</summary>
    public bool Can(WorkbenchAction action) => Permissions.Can(Role, action);
}
