using System.Security.Cryptography;
using System.Text;
using Bootstrap.Builder.Configuration;

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
            return PlainText.Error(StatusCodes.Status403Forbidden, "the admin API is off: set api-token in config.json to turn it on");
        if (!Presented(http, _expectedHash))
        {
            if (budgets.FailedAuthentication(http) is { } tooManyFailures)
                return tooManyFailures;
            await Task.Delay(FailureDelay, http.RequestAborted);
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return PlainText.Error(StatusCodes.Status401Unauthorized, "admin API: missing or wrong 'Authorization: Bearer <api-token>' header");
        }
        if (budgets.Admin(http) is { } tooMany)
            return tooMany;
        return await next(context);
    }

    /// <summary>True when <paramref name="given"/> is the configured token (never when none is configured), compared in constant time.</summary>
    public static bool Matches(string given, BootstrapConfig config) =>
        config.ApiToken.Length > 0 && CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(config.ApiToken)));

    /// <summary>True when the request carries the configured token (never when none is configured).</summary>
    public static bool IsPresentedBy(HttpContext http, BootstrapConfig config) =>
        config.ApiToken.Length > 0 && Presented(http, SHA256.HashData(Encoding.UTF8.GetBytes(config.ApiToken)));

    private static bool Presented(HttpContext http, byte[] expectedHash)
    {
        string header = http.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        // Comparing fixed-length hashes in constant time leaks neither the token nor its length.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), expectedHash);
    }
}
