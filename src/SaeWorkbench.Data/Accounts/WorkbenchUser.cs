using Microsoft.AspNetCore.Identity;

namespace SaeWorkbench.Data.Accounts;

/// <summary>A person with an account. Roles come from Identity (see <see cref="WorkbenchRoles"/>).</summary>
public class WorkbenchUser : IdentityUser
{
    /// <summary>Theme chosen by the user, remembered across devices.</summary>
    public bool PrefersDarkMode { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}
