using Bootstrap.Builder.Accounts;
using System.Text.Json;
using Bootstrap.Builder.Storage.Database;
using Dapper;

namespace Bootstrap.Builder.Catalogue;

/// <summary>Menus in the database (migration 0005); their entries as the JSON <see cref="MenuRules"/> checked.</summary>
public sealed class MenuStore(BootstrapDatabase database) : IMenuNames
{
    public async Task<IReadOnlyList<string>> MenuNamesAsync() => (await ListAsync()).Select(m => m.Name).ToList();

    public async Task<IReadOnlyList<Menu>> ListAsync()
    {
        await using var db = database.Open();
        return (await db.QueryAsync<Row>("SELECT name, title, timeout, default_entry, entries, updated, is_public FROM menus ORDER BY name")).Select(r => r.ToMenu()).ToList();
    }

    public async Task<Menu?> GetAsync(string name)
    {
        await using var db = database.Open();
        return (await db.QuerySingleOrDefaultAsync<Row>("SELECT name, title, timeout, default_entry, entries, updated, is_public FROM menus WHERE name = @name", new { name }))?.ToMenu();
    }

    public async Task SaveAsync(Menu menu)
    {
        await using var db = database.Open();
        await db.ExecuteAsync(
            """
            INSERT INTO menus (name, title, timeout, default_entry, entries, updated, is_public) VALUES (@Name, @Title, @Timeout, @Default, @Entries, @Updated, @IsPublic)
            ON CONFLICT (name) DO UPDATE SET title = excluded.title, timeout = excluded.timeout, default_entry = excluded.default_entry,
                entries = excluded.entries, updated = excluded.updated, is_public = excluded.is_public
            """,
            new { menu.Name, menu.Title, menu.Timeout, menu.Default, Entries = JsonSerializer.Serialize(menu.Entries, Json), Updated = menu.Updated.ToString("O"), IsPublic = menu.Public ? 1 : 0 });
    }

    public async Task<bool> DeleteAsync(string name)
    {
        await using var db = database.Open();
        return await db.ExecuteAsync("DELETE FROM menus WHERE name = @name", new { name }) > 0;
    }

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private sealed record Row(string name, string title, long timeout, long? default_entry, string entries, string updated, long is_public)
    {
        public Menu ToMenu() => new(name, title, (int)timeout, (int?)default_entry,
            JsonSerializer.Deserialize<List<MenuEntry>>(entries, Json)!, DateTimeOffset.Parse(updated)) { Public = is_public != 0 };
    }
}
