using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Bootstrap.Builder.Site;

namespace Bootstrap.Api.Pages;

/// <summary>
/// Signing in to the pages with the admin token, once: <c>/signin</c> checks the token (under the
/// same failure budget and delay as the API) and sets an HttpOnly, SameSite=Strict cookie
/// (ASP.NET cookie authentication, 8 hours); every form a signed-in page posts carries an
/// antiforgery token (ASP.NET antiforgery). Both are checked by the page handlers themselves,
/// so the boot routes pay for neither. A session belongs to the site and to the token: the cookies
/// are sealed with the site's own Data Protection keys (kept in its database, <see cref="SiteKeyRing"/>),
/// the ticket carries the token's fingerprint and the session generation, and a sign-out or a new
/// <c>api-token</c> ends every session at once.
/// </summary>
public static class AdminSession
{
    public const string Scheme = "Bootstrap.Admin";

    /// <summary>The form field that carries the antiforgery token.</summary>
    public const string AntiforgeryField = "__af";

    public const string StaleForm = "the form is out of date or was not sent by this site: reload the page and try again";

    private const string TokenClaim = "bootstrap:token", GenerationClaim = "bootstrap:generation";

    /// <summary>Data Protection over the site's key ring (in its database): the service's cookies and the BMC passwords the CLI seals too.</summary>
    public static IServiceCollection AddSiteKeyRing(this IServiceCollection services)
    {
        services.AddSingleton<AdminSessionStore>();
        // A fixed application name: the ring is chosen by the database, not by the folder the service runs from.
        services.AddDataProtection().SetApplicationName("bootstrap");
        services.AddOptions<KeyManagementOptions>().Configure<AdminSessionStore>((o, store) => o.XmlRepository = new SiteKeyRing(store));
        return services;
    }

    public static IServiceCollection AddAdminSession(this IServiceCollection services)
    {
        services.AddSiteKeyRing();
        services.AddAuthentication(Scheme).AddCookie(Scheme, o =>
        {
            o.Events.OnValidatePrincipal = RejectEndedSessionAsync;
            o.Cookie.Name = "bootstrap_admin";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = false;
            o.LoginPath = "/signin";
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "bootstrap_af";
            o.FormFieldName = AntiforgeryField;
            o.HeaderName = StreamedForm.AntiforgeryHeader;   // how a streamed upload hands its token over
        });
        return services;
    }

    /// <summary>
    /// Makes the site's first session key unless a usable one is stored. Without it, instances
    /// starting together would each make their own, and one's cookie would be unreadable to the
    /// others until their key rings refresh (a day later).
    /// </summary>
    public static void EnsureSiteKey(IServiceProvider services)
    {
        var keys = services.GetRequiredService<IKeyManager>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (!keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now.AddDays(2)))
            keys.CreateNewKey(now, now.AddDays(90));
    }

    /// <summary>A ticket of another token or of an ended generation is no session: it is refused and its cookie removed.</summary>
    private static async Task RejectEndedSessionAsync(CookieValidatePrincipalContext context)
    {
        var config = context.HttpContext.RequestServices.GetRequiredService<BootstrapConfig>();
        var sessions = context.HttpContext.RequestServices.GetRequiredService<AdminSessionStore>();
        var principal = context.Principal;
        if (config.ApiToken.Length > 0
            && principal?.FindFirst(TokenClaim)?.Value == AdminToken.Fingerprint(config)
            && principal.FindFirst(GenerationClaim)?.Value == (await sessions.GenerationAsync()).ToString(System.Globalization.CultureInfo.InvariantCulture))
            return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(Scheme);
    }

    public static async Task<bool> IsSignedInAsync(HttpContext http) => (await http.AuthenticateAsync(Scheme)).Succeeded;

    /// <summary>The antiforgery token every signed-in form carries (<see cref="AntiforgeryField"/> draws it).</summary>
    public static string FormToken(HttpContext http) =>
        http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http).RequestToken!;

    /// <summary>Null when the post is signed in and carries a valid antiforgery token, else the answer.</summary>
    public static async Task<PageAnswer?> CheckPostAsync(HttpContext http)
    {
        if (!await IsSignedInAsync(http))
            return TypedResults.Redirect("/signin?return=" + Uri.EscapeDataString(http.Request.Path));
        try
        {
            await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return PlainText.BadRequest(StaleForm);
        }
    }

    public static void MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/signin", (HttpContext http, string? @return) => SignInPage.Render(FormToken(http), LocalOrHome(@return), error: null))
            .ExcludeFromDescription();
        app.MapPost("/signin", SignIn).ExcludeFromDescription();
        app.MapPost("/signout", async Task<PageAnswer> (HttpContext http) =>
        {
            if (await CheckPostAsync(http) is { } refused)
                return refused;
            await http.RequestServices.GetRequiredService<AdminSessionStore>().EndAllAsync("sign-out");
            await http.SignOutAsync(Scheme);
            return TypedResults.Redirect("/machines", preserveMethod: false);
        }).ExcludeFromDescription();
    }

    private static async Task<PageAnswer> SignIn(HttpContext http, BootstrapConfig config, ClientBudgets budgets, AdminSessionStore sessions)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var target = LocalOrHome(form["return"]);
        try
        {
            await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http);
        }
        catch (AntiforgeryValidationException)
        {
            return SignInPage.Render(FormToken(http), target, "The form is out of date: try again.", StatusCodes.Status400BadRequest);
        }
        if (config.ApiToken.Length == 0)
            return SignInPage.Render(FormToken(http), target, "Signing in is off: set api-token in config.json.", StatusCodes.Status403Forbidden);
        if (!AdminToken.Matches(form["token"].ToString(), config))
        {
            if (await AdminToken.AfterFailureAsync(http, budgets) is { } tooMany)
                return tooMany;
            return SignInPage.Render(FormToken(http), target, "That is not the admin token.", StatusCodes.Status401Unauthorized);
        }
        var identity = new ClaimsIdentity([
            new Claim(ClaimTypes.Name, "admin"),
            new Claim(TokenClaim, AdminToken.Fingerprint(config)),
            new Claim(GenerationClaim, (await sessions.GenerationAsync()).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], Scheme);
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity));
        return TypedResults.Redirect(target);
    }

    /// <summary>Only a path of this site: a return address cannot send the admin elsewhere.</summary>
    /// <remarks>
    /// A path of printable ASCII with no backslash, starting with one slash: browsers drop tabs and
    /// newlines and read a backslash as a slash, so "/\t/evil" or "/\\evil" would leave the site.
    /// </remarks>
    private static string LocalOrHome(string? target) =>
        target is { Length: > 1 } t && t[0] == '/' && t[1] != '/' && t.All(c => c is > ' ' and < '\x7f' and not '\\') ? t
        : target == "/" ? "/" : "/machines";
}
