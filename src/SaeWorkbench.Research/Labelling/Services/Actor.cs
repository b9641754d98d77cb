using System.Security.Claims;
using SaeWorkbench.Data.Accounts;

namespace SaeWorkbench.Research.Labelling.Services;

/// <summary>Who is asking: the signed-in user's id, name and labelling role, taken from the server-side principal.</summary>
public sealed record Actor(string UserId, string UserName, Role Role)
{
    /// <summary>The actor of a signed-in principal (cookie or API token); null when anonymous.</summary>
    public static Actor? From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true) return null;
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (string.IsNullOrEmpty(id)) return null;
        var name = principal.FindFirstValue(ClaimTypes.Name) ?? id;
        return new Actor(id, name, LabellingRoles.FromIdentityRoles(principal.FindAll(ClaimTypes.Role).Select(c => c.Value)));
    }
}

/// <summary>The one mapping from Identity role names (<see cref="WorkbenchRoles"/>) to the labelling <see cref="Role"/>.</summary>
public static class LabellingRoles
{
    /// <summary>The most trusted role among <paramref name="identityRoles"/>; Viewer when none is known.</summary>
    public static Role FromIdentityRoles(IEnumerable<string> identityRoles)
    {
        var best = Role.Viewer;
        foreach (var name in identityRoles)
        {
            var role = name switch
            {
                WorkbenchRoles.Admin => Role.Admin,
                WorkbenchRoles.Reviewer => Role.Reviewer,
                WorkbenchRoles.Labeler => Role.Labeler,
                _ => Role.Viewer,
            };
            if (role > best) best = role;
        }
        return best;
    }
}
