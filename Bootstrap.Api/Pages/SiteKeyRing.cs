using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Bootstrap.Builder.Site;

namespace Bootstrap.Api.Pages;

/// <summary>
/// ASP.NET Data Protection's key ring kept in the site's database (its <see cref="IXmlRepository"/>
/// extension point; the framework's own stores are files, the registry or Entity Framework, which
/// this service does not use): the keys that seal sign-in and antiforgery cookies are the site's,
/// shared by its instances, and not the OS user's.
/// </summary>
public sealed class SiteKeyRing(AdminSessionStore store) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() => store.Keys().Select(XElement.Parse).ToList();

    public void StoreElement(XElement element, string friendlyName) => store.AddKey(friendlyName, element.ToString(SaveOptions.DisableFormatting));
}
