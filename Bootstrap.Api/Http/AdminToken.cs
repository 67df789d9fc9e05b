using System.Security.Cryptography;
using System.Text;

namespace Bootstrap.Api.Http;

/// <summary>
/// Guards the admin API with <c>Authorization: Bearer &lt;api-token&gt;</c>. No token configured
/// means the admin API is off (403); a missing or wrong token is 401. The token is checked before
/// any budget: failed attempts count against a budget of their own (per client address, each
/// answered a little later than the last), so strangers can neither guess quickly nor use up the
/// admin's own budget.
/// </summary>
public sealed class AdminToken(BootstrapConfig config, ClientBudgets budgets) : IEndpointFilter
{
    /// <summary>How long a wrong token waits for its 401: nothing for a person, a brake on guessing.</summary>
    public static readonly TimeSpan FailureDelay = TimeSpan.FromMilliseconds(250);

    private readonly byte[]? _expectedHash = config.ApiToken.Length == 0 ? null : SHA256.HashData(Encoding.UTF8.GetBytes(config.ApiToken));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (_expectedHash == null)
            return PlainText.Forbidden("the admin API is off: set api-token in config.json to turn it on");
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(Bearer(http))), _expectedHash))
        {
            if (await AfterFailureAsync(http, budgets) is { } tooManyFailures)
                return tooManyFailures;
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return PlainText.Unauthorized("admin API: missing or wrong 'Authorization: Bearer <api-token>' header");
        }
        if (budgets.Admin(http) is { } tooMany)
            return tooMany;
        return await next(context);
    }

    /// <summary>
    /// What a sign-in ticket records of the token it was made with (a hash, never the token): a
    /// new <c>api-token</c> no longer matches it, so every session made with the old one ends.
    /// </summary>
    public static string Fingerprint(BootstrapConfig config) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("bootstrap admin session\n" + config.ApiToken)))[..32];

    /// <summary>True when <paramref name="given"/> is the configured token (never when none is configured), compared in constant time.</summary>
    public static bool Matches(string given, BootstrapConfig config) => config.ApiToken.Length > 0 && SameSecret(given, config.ApiToken);

    /// <summary>True when the request carries the configured token (never when none is configured).</summary>
    public static bool IsPresentedBy(HttpContext http, BootstrapConfig config) => Matches(Bearer(http), config);

    /// <summary>The token of an <c>Authorization: Bearer</c> header, or "" when there is none.</summary>
    public static string Bearer(HttpContext http)
    {
        string header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
    }

    /// <summary>Compares secrets through fixed-length hashes in constant time: leaks neither the secret nor its length.</summary>
    public static bool SameSecret(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    /// <summary>
    /// What every failed attempt (admin token, machine token, sign-in) goes through: 429 past the
    /// client's budget of failures, else null after <see cref="FailureDelay"/>.
    /// </summary>
    public static async Task<Text<Status.TooMany>?> AfterFailureAsync(HttpContext http, ClientBudgets budgets)
    {
        if (budgets.FailedAuthentication(http) is { } tooMany)
            return tooMany;
        await Task.Delay(FailureDelay, http.RequestAborted);
        return null;
    }
}
