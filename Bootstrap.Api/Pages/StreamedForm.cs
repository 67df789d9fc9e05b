using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Pages;

/// <summary>
/// A signed-in page's file upload (multipart/form-data), read as a stream: ASP.NET's form reader
/// (and so antiforgery's own check) would buffer a whole ISO first. The page puts the antiforgery
/// field first and the file last, as browsers send fields in document order; the token is checked
/// (through antiforgery's header, which it reads before any form) before the file's first byte is
/// read, and the file's bytes go straight to <c>store</c>.
/// </summary>
public static class StreamedForm
{
    public const string AntiforgeryHeader = "X-Bootstrap-Antiforgery";
    private const int MaxFieldBytes = 4096;

    /// <summary>What <paramref name="store"/> made of the fields read so far and the file's stream, or the refusal.</summary>
    public static async Task<Result<T>> ReadAsync<T>(HttpContext http, long maxBytes,
        Func<IReadOnlyDictionary<string, string>, string, Stream, Task<Result<T>>> store)
    {
        var boundary = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Boundary).Value : null;
        if (string.IsNullOrEmpty(boundary))
            return Problem.Invalid("send the form as multipart/form-data");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes + 64 * 1024;
        var fields = new Dictionary<string, string>();
        var checkedToken = false;
        var reader = new MultipartReader(boundary, http.Request.Body) { HeadersLengthLimit = MaxFieldBytes };
        try
        {
            for (var section = await reader.ReadNextSectionAsync(http.RequestAborted); section != null;
                 section = await reader.ReadNextSectionAsync(http.RequestAborted))
            {
                var disposition = section.GetContentDispositionHeader();
                if (disposition == null)
                    continue;
                var name = disposition.Name.Value ?? "";
                if (disposition.IsFileDisposition())
                {
                    if (!checkedToken)
                        return Problem.Invalid(AdminSession.StaleForm);
                    return await store(fields, disposition.FileName.Value ?? "", section.Body);
                }
                var value = await ReadField(section.Body, http.RequestAborted);
                if (value == null)
                    return Problem.Invalid($"{name}: longer than {MaxFieldBytes} bytes");
                fields[name] = value;
                if (name == AdminSession.AntiforgeryField)
                {
                    http.Request.Headers[AntiforgeryHeader] = value;
                    if (!await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
                        return Problem.Invalid(AdminSession.StaleForm);
                    checkedToken = true;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problem.TooLarge($"the file is larger than the limit ({maxBytes} bytes)");
        }
        return Problem.Invalid("choose a file to upload");
    }

    private static async Task<string?> ReadField(Stream body, CancellationToken cancel)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var length = 0;
        int read;
        while ((read = await body.ReadAsync(buffer.AsMemory(length), cancel)) > 0)
        {
            length += read;
            if (length > MaxFieldBytes)
                return null;
        }
        return System.Text.Encoding.UTF8.GetString(buffer, 0, length);
    }
}
