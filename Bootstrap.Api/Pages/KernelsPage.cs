using Bootstrap.Builder.Storage.Kernels;
using static Bootstrap.Api.Pages.Html;

namespace Bootstrap.Api.Pages;

/// <summary><c>/images</c> for a browser: the kernels, newest first, and which networks boot each.</summary>
public static class KernelsPage
{
    public static IResult Render(IReadOnlyList<KernelInfo> kernels) =>
        Page("Kernels", "/images", $$"""
            <h1>Kernels</h1>
            <p class="lead">The OS kernels this service serves, newest first. A network boots the kernel its
            <code>kernels/net/&lt;network&gt;.efi</code> link points at.</p>
            {{(kernels.Count == 0 ? "<p>No kernel is uploaded yet.</p>" : $$"""
            <div class="table-wrap">
            <table>
            <thead><tr><th scope="col">Kernel</th><th scope="col">Size</th><th scope="col">Updated (UTC)</th><th scope="col">Networks</th></tr></thead>
            <tbody>
            {{string.Concat(kernels.Select(k => $"""
                <tr><td><a href="/kernel/{E(k.Name)}">{E(k.Name)}</a></td><td>{Size(k.Size)}</td><td>{k.Updated.UtcDateTime:yyyy-MM-dd HH:mm}</td><td>{E(string.Join(", ", k.Runmodes))}</td></tr>
                """))}}
            </tbody>
            </table>
            </div>
            """)}}
            """);

    private static string Size(long bytes) => bytes switch
    {
        >= 1 << 20 => $"{bytes / 1048576.0:F1} MiB",
        >= 1 << 10 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes} B",
    };
}
