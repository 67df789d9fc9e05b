using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Bootstrap.Tests.Support;

/// <summary>The machines API as the tests call it: assign a machine and read back what the service says.</summary>
public static class MachineApi
{
    /// <summary>PUTs an assignment (a JSON object of the fields docs/machines.md lists) and returns the machine as the API answers it.</summary>
    public static async Task<JsonElement> AssignAsync(HttpClient admin, string mac, object assignment)
    {
        var response = await admin.PutAsJsonAsync($"/api/machines/{mac}", assignment);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"PUT /api/machines/{mac} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The bootstrap token of an assigned machine, as the script's command line carries it.</summary>
    public static string TokenIn(string script) =>
        System.Text.RegularExpressions.Regex.Match(script, "bootstrap_token=([0-9a-f]{32})").Groups[1].Value;

    public static async Task<JsonElement> GetAsync(HttpClient admin, string path)
    {
        var response = await admin.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
