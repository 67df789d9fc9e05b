using System.Security.Cryptography;
using System.Text;
using Bootstrap.Builder.Configuration;

namespace Bootstrap.Api.Http;

/// <summary>
/// Guards the admin API with <c>Authorization: Bearer &lt;api-token&gt;</c>. No token configured
/// means the admin API is off (403); a missing or wrong token is 401.
/// </summary>
public sealed class AdminToken(BootstrapConfig config, ClientBudgets budgets) : IEndpointFilter
{
    private readonly byte[]? _expectedHash = config.ApiToken.Length == 0 ? null : SHA256.HashData(Encoding.UTF8.GetBytes(config.ApiToken));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (budgets.Admin(context.HttpContext) is { } tooMany)
            return tooMany;
        if (_expectedHash == null)
            return PlainText.Error(StatusCodes.Status403Forbidden, "the admin API is off: set api-token in config.json to turn it on");
        string header = context.HttpContext.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        // Comparing fixed-length hashes in constant time leaks neither the token nor its length.
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _expectedHash))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return PlainText.Error(StatusCodes.Status401Unauthorized, "admin API: missing or wrong 'Authorization: Bearer <api-token>' header");
        }
        return await next(context);
    }
}
