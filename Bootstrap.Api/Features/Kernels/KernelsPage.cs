using Bootstrap.Api.Pages;
using Bootstrap.Builder.Kernels;
using static Bootstrap.Api.Pages.Html;

namespace Bootstrap.Api.Features.Kernels;

/// <summary>
/// <c>/images</c> for a browser: the kernels, newest first, and which networks boot each. Signed
/// in, also the forms to upload a kernel (streamed), point a runmode at one and delete one that
/// nothing boots.
/// </summary>
public static class KernelsPage
{
    public static HtmlPage Render(IReadOnlyList<KernelInfo> kernels, IReadOnlyDictionary<string, string> runmodes, string? antiforgeryField,
        string? error = null, int status = StatusCodes.Status200OK) =>
        Page("Kernels", "/images", $$"""
            <h1>Kernels</h1>
            <p class="lead">The OS kernels this service serves, newest first. A network boots the kernel its
            <code>kernels/net/&lt;network&gt;.efi</code> link points at.</p>
            {{SignInOrOut("/images", antiforgeryField, "manage kernels")}}
            {{ErrorLine(error)}}
            {{(kernels.Count == 0 ? "<p>No kernel is uploaded yet.</p>" : $$"""
            <div class="table-wrap">
            <table id="kernels">
            <thead><tr><th scope="col">Kernel</th><th scope="col">Size</th><th scope="col">Updated (UTC)</th><th scope="col">Networks</th>{{(antiforgeryField == null ? "" : "<th scope=\"col\">Delete</th>")}}</tr></thead>
            <tbody>
            {{string.Concat(kernels.Select(k => $"""
                <tr><td><a href="/kernel/{E(k.Name)}">{E(k.Name)}</a></td><td>{Size(k.Size)}</td><td>{k.Updated.UtcDateTime:yyyy-MM-dd HH:mm}</td><td>{E(string.Join(", ", k.Runmodes))}</td>{(antiforgeryField == null ? "" : $"<td>{DeleteButton(k, antiforgeryField)}</td>")}</tr>
                """))}}
            </tbody>
            </table>
            </div>
            """)}}
            {{(antiforgeryField == null ? "" : Forms(kernels, runmodes, antiforgeryField))}}
            """, status);

    private static string DeleteButton(KernelInfo kernel, string antiforgeryField) =>
        kernel.Runmodes.Count > 0 ? "<span class=\"help\">in use</span>"
        : $"""<form class="inline" method="post" action="/kernels/{E(kernel.Name)}/delete">{antiforgeryField}<button type="submit" class="secondary" aria-label="Delete {E(kernel.Name)}">Delete</button></form>""";

    private static string Forms(IReadOnlyList<KernelInfo> kernels, IReadOnlyDictionary<string, string> runmodes, string antiforgeryField) => $$"""
        <h2>Point a network at a kernel</h2>
        {{string.Concat(runmodes.Select(r => $$"""
            <form method="post" action="/kernels/runmodes/{{E(r.Key)}}" class="runmode">
            {{antiforgeryField}}
            <div class="field"><label for="runmode-{{E(r.Key)}}">{{E(r.Value)}} (<code>{{E(r.Key)}}</code>)</label>
            <select id="runmode-{{E(r.Key)}}" name="kernel">{{string.Concat(kernels.Select(k =>
                $"<option{(k.Runmodes.Contains(r.Key) ? " selected" : "")}>{E(k.Name)}</option>"))}}</select></div>
            <button type="submit">Point {{E(r.Key)}} at this kernel</button>
            </form>
            """))}}
        <h2>Upload a kernel</h2>
        <form method="post" action="/kernels/upload" enctype="multipart/form-data" id="upload-kernel">
        {{antiforgeryField}}
        <div class="field"><label for="kernel-name">Name <span class="optional">(optional: the file's own name)</span></label>
        <input id="kernel-name" name="name" placeholder="zos-v3.12.efi"></div>
        <div class="field"><label for="kernel-file">Kernel file</label>
        <input id="kernel-file" name="kernel" type="file" required></div>
        <button type="submit">Upload</button>
        </form>
        """;
}
