using Bootstrap.Api.Pages;
using Bootstrap.Builder.Machines;
using static Bootstrap.Api.Pages.Html;

namespace Bootstrap.Api.Features.Machines;

/// <summary>
/// <c>/machines</c>: discovered machines first (what iPXE or the discovery OS told), then the rest
/// with state, progress and last seen. Signed in, each machine also shows its last events and the
/// forms to assign, reset and delete it. Plain HTML forms: it works without JavaScript.
/// </summary>
public static class MachinesPage
{
    /// <summary>What a signed-in page needs besides the machines.</summary>
    public sealed record Admin(string AntiforgeryField, IReadOnlyList<string> Networks, IReadOnlyList<Profile> Profiles,
        IReadOnlyDictionary<string, IReadOnlyList<MachineEvent>> Events);

    public static HtmlPage Render(IReadOnlyList<Machine> machines, Admin? admin, string? error = null, int status = StatusCodes.Status200OK) =>
        Page("Machines", "/machines", $$"""
            <h1>Machines</h1>
            <p class="lead">Machines that booted a generic image or the discovery OS, and what they were given to do.
            A discovered machine keeps asking until it is assigned.</p>
            {{SignInOrOut("/machines", admin?.AntiforgeryField, "assign machines")}}
            {{ErrorLine(error)}}
            {{(machines.Count == 0 ? "<p>No machine has asked yet. Boot one from <code>/iso-generic</code>, <code>/usb-generic</code>, <code>/uefi-generic</code> or chain <code>/ipxe-generic</code>.</p>" : "")}}
            {{string.Concat(machines.Select(m => Card(m, admin)))}}
            """, status);

    private static string Card(Machine m, Admin? admin)
    {
        var job = m.Assignment is { Menu: { } menu } ? $"boot menu <b>{E(menu)}</b>, then {E(m.Assignment.Then)}"
            : m.Assignment is { } a
            ? $"network <b>{E(a.Network)}</b>, farm {E(a.Farmer ?? "none")}{(a.Args.Length > 0 ? $", args <code>{E(a.Args)}</code>" : "")}" +
              $"{(a.Kernel != null ? $", kernel {E(a.Kernel)}" : "")}{(a.Profile != null ? $", profile {E(a.Profile)}" : "")}, then {E(a.Then)}"
            : "not assigned";
        var facts = string.Join(", ", new[] { m.Facts.Manufacturer, m.Facts.Product, m.Facts.Serial is { } s ? $"serial {s}" : null,
            m.Facts.Platform, m.Facts.Arch, m.Facts.Uuid is { } u ? $"UUID {u}" : null }.OfType<string>().Select(E));
        return $$"""
            <section class="machine" data-state="{{E(m.State)}}" aria-labelledby="m-{{Id(m)}}">
            <h2 id="m-{{Id(m)}}">{{E(m.Mac)}} <span class="state">{{E(m.State)}}</span></h2>
            <p><progress value="{{m.Progress}}" max="100">{{m.Progress}}%</progress> {{m.Progress}}%{{(m.Message != null ? $" · {E(m.Message)}" : "")}}</p>
            <p>{{job}}</p>
            <p class="help">{{(facts.Length > 0 ? facts + " · " : "")}}MACs {{E(string.Join(", ", m.Macs))}} · last seen {{m.LastSeen.UtcDateTime:yyyy-MM-dd HH:mm:ss}} UTC{{(m.Facts.Ip != null ? $" at {E(m.Facts.Ip)}" : "")}}</p>
            {{(admin == null ? "" : Actions(m, admin))}}
            </section>
            """;
    }

    private static string Actions(Machine m, Admin admin)
    {
        var events = admin.Events.GetValueOrDefault(m.Id) ?? [];
        var a = m.Assignment;
        return $$"""
            {{(events.Count == 0 ? "" : $$"""
            <details><summary>Last events</summary><ul class="events">
            {{string.Concat(events.Select(e => $"<li>{e.At.UtcDateTime:yyyy-MM-dd HH:mm:ss} {E(e.Kind)}: {E(e.Detail)}{(e.Address != null ? $" ({E(e.Address)})" : "")}</li>"))}}
            </ul></details>
            """)}}
            <details{{(m.Assignment == null ? " open" : "")}}><summary>{{(m.Assignment == null ? "Assign" : "Change the assignment")}}</summary>
            <form method="post" action="/machines/{{E(m.Mac)}}/assign" class="assign">
            {{admin.AntiforgeryField}}
            <div class="field"><label for="network-{{Id(m)}}">Network</label>
            <select id="network-{{Id(m)}}" name="network">{{string.Concat(admin.Networks.Select(n => $"<option{(a?.Network == n ? " selected" : "")}>{E(n)}</option>"))}}</select></div>
            <div class="field"><label for="farmer-{{Id(m)}}">Farm id <span class="optional">(optional)</span></label>
            <input id="farmer-{{Id(m)}}" name="farmer" inputmode="numeric" value="{{E(a?.Farmer)}}"></div>
            <div class="field"><label for="args-{{Id(m)}}">Kernel arguments <span class="optional">(optional)</span></label>
            <input id="args-{{Id(m)}}" name="args" value="{{E(a?.Args)}}"></div>
            {{(admin.Profiles.Count == 0 ? "" : $$"""
            <div class="field"><label for="profile-{{Id(m)}}">Profile <span class="optional">(fills what is left empty)</span></label>
            <select id="profile-{{Id(m)}}" name="profile"><option value="">none</option>{{string.Concat(admin.Profiles.Select(p => $"<option{(a?.Profile == p.Name ? " selected" : "")}>{E(p.Name)}</option>"))}}</select></div>
            """)}}
            <div class="field"><label for="then-{{Id(m)}}">After installed</label>
            <select id="then-{{Id(m)}}" name="then"><option value="repeat"{{(a?.Then == ThenBoot.Local ? "" : " selected")}}>boot this again (repeat)</option><option value="local"{{(a?.Then == ThenBoot.Local ? " selected" : "")}}>boot the local disk</option></select></div>
            <button type="submit">Assign</button>
            </form>
            </details>
            <form class="inline" method="post" action="/machines/{{E(m.Mac)}}/reset">{{admin.AntiforgeryField}}<button type="submit" class="secondary">Reset</button></form>
            <form class="inline" method="post" action="/machines/{{E(m.Mac)}}/delete">{{admin.AntiforgeryField}}<button type="submit" class="secondary">Delete</button></form>
            """;
    }

    /// <summary>An HTML id from the MAC (colons are valid in ids but not in CSS selectors).</summary>
    private static string Id(Machine m) => m.Mac.Replace(":", "");
}
