using System.Security.Cryptography;
using System.Text;
using Bootstrap.Builder.Images.Caching;
using Bootstrap.Builder.Images;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Http;

/// <summary>
/// Serves an EFI executable (a runmode kernel, a catalogue image's kernel, the discovery OS's
/// kernel) with the site key's signature added, for machines whose firmware trusts the site
/// certificate: signed once per content and key, then from the artifact cache, with Range and an
/// ETag naming the signed bytes. The file itself is never changed. A file that is not a PE image
/// cannot carry a signature and is served as it is; <c>X-Secure-Boot</c> says which happened.
/// </summary>
public static class SignedFiles
{
    /// <param name="content">Names the file's content (its ETag or sha256): part of the cache key.</param>
    public static async Task<FileStreamHttpResult> ServeAsync(HttpContext http, SiteKey siteKey, string content, Func<CancellationToken, Task<byte[]>> read,
        DateTimeOffset? lastModified)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"signed-efi\n{content}\n{siteKey.Fingerprint}")));
        try
        {
            var signed = await http.RequestServices.GetRequiredService<ArtifactCache>()
                .GetOrBuildAsync(key, async cancel => PackedImage.Of(siteKey.Signer.Sign(await read(cancel))), http.RequestAborted);
            http.Response.Headers["X-Secure-Boot"] = $"signed by {siteKey.Subject}";
            // The stream holds the cached bytes until the answer is sent.
            return TypedResults.Stream(signed.OpenRead(), "application/octet-stream", lastModified: lastModified,
                entityTag: new EntityTagHeaderValue($"\"{key}\""), enableRangeProcessing: true);
        }
        catch (FormatException e)
        {
            http.Response.Headers["X-Secure-Boot"] = $"unsigned: {e.Message}";
            return TypedResults.Stream(new MemoryStream(await read(http.RequestAborted)), "application/octet-stream", lastModified: lastModified,
                entityTag: new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)))}\""), enableRangeProcessing: true);
        }
    }
}
