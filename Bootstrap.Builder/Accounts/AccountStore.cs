using Bootstrap.Builder.Storage.Database;
using Dapper;

namespace Bootstrap.Builder.Accounts;

/// <summary>Users, organisations and groups in the database (migration 0007); each save replaces the record and its list in one transaction.</summary>
public sealed class AccountStore(BootstrapDatabase database)
{
    /// <summary>Everything at once: a login needs the whole tree, and it is small.</summary>
    public async Task<AccountBook> LoadAsync()
    {
        await using var db = database.Open();
        var userOrgs = await Lists(db, "SELECT user_name AS owner, organization_id AS item FROM user_organizations ORDER BY position");
        var orgGroups = await Lists(db, "SELECT organization_id AS owner, group_id AS item FROM organization_groups ORDER BY position");
        var groupUsers = await Lists(db, "SELECT group_id AS owner, user_name AS item FROM group_users ORDER BY position");
        var users = (await db.QueryAsync<(string name, string password_hash, string updated)>("SELECT name, password_hash, updated FROM users ORDER BY name"))
            .ToDictionary(r => r.name, r => new User(r.name, r.password_hash, userOrgs.GetValueOrDefault(r.name) ?? [], DateTimeOffset.Parse(r.updated)));
        var orgs = (await db.QueryAsync<(string id, string name, string updated)>("SELECT id, name, updated FROM organizations ORDER BY id"))
            .ToDictionary(r => r.id, r => new Organization(r.id, r.name, orgGroups.GetValueOrDefault(r.id) ?? [], DateTimeOffset.Parse(r.updated)));
        var groups = (await db.QueryAsync<(string id, string name, string menu, string updated)>("SELECT id, name, menu, updated FROM boot_groups ORDER BY id"))
            .ToDictionary(r => r.id, r => new Group(r.id, r.name, r.menu, groupUsers.GetValueOrDefault(r.id) ?? [], DateTimeOffset.Parse(r.updated)));
        return new AccountBook(users, orgs, groups);
    }

    private static async Task<Dictionary<string, List<string>>> Lists(System.Data.Common.DbConnection db, string sql) =>
        (await db.QueryAsync<(string owner, string item)>(sql)).GroupBy(r => r.owner).ToDictionary(g => g.Key, g => g.Select(r => r.item).ToList());

    public async Task SaveUserAsync(User user) => await Save(
        "INSERT INTO users (name, password_hash, updated) VALUES (@Name, @PasswordHash, @Updated) " +
        "ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, updated = excluded.updated",
        new { user.Name, user.PasswordHash, Updated = user.Updated.ToString("O") },
        "user_organizations", "user_name", "organization_id", user.Name, user.Organizations);

    public async Task SaveOrganizationAsync(Organization organization) => await Save(
        "INSERT INTO organizations (id, name, updated) VALUES (@Id, @Name, @Updated) " +
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated = excluded.updated",
        new { organization.Id, organization.Name, Updated = organization.Updated.ToString("O") },
        "organization_groups", "organization_id", "group_id", organization.Id, organization.Groups);

    public async Task SaveGroupAsync(Group group) => await Save(
        "INSERT INTO boot_groups (id, name, menu, updated) VALUES (@Id, @Name, @Menu, @Updated) " +
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, menu = excluded.menu, updated = excluded.updated",
        new { group.Id, group.Name, group.Menu, Updated = group.Updated.ToString("O") },
        "group_users", "group_id", "user_name", group.Id, group.Users);

    private async Task Save(string upsert, object record, string listTable, string ownerColumn, string itemColumn, string owner, IReadOnlyList<string> items)
    {
        await using var db = database.Open();
        await using var transaction = await db.BeginTransactionAsync();
        await db.ExecuteAsync(upsert, record, transaction);
        await db.ExecuteAsync($"DELETE FROM {listTable} WHERE {ownerColumn} = @owner", new { owner }, transaction);
        await db.ExecuteAsync($"INSERT INTO {listTable} ({ownerColumn}, {itemColumn}, position) VALUES (@owner, @item, @position)",
            items.Select((item, position) => new { owner, item, position }), transaction);
        await transaction.CommitAsync();
    }

    /// <summary>Deletes a user and every membership naming them.</summary>
    public Task<bool> DeleteUserAsync(string name) => Delete("users", "name", name, ("user_organizations", "user_name"), ("group_users", "user_name"));

    /// <summary>Deletes an organisation and the memberships naming it; its groups stay.</summary>
    public Task<bool> DeleteOrganizationAsync(string id) => Delete("organizations", "id", id, ("organization_groups", "organization_id"), ("user_organizations", "organization_id"));

    /// <summary>Deletes a group and takes it out of every organisation.</summary>
    public Task<bool> DeleteGroupAsync(string id) => Delete("boot_groups", "id", id, ("group_users", "group_id"), ("organization_groups", "group_id"));

    private async Task<bool> Delete(string table, string key, string value, params (string Table, string Column)[] references)
    {
        await using var db = database.Open();
        await using var transaction = await db.BeginTransactionAsync();
        foreach (var (referencing, column) in references)
            await db.ExecuteAsync($"DELETE FROM {referencing} WHERE {column} = @value", new { value }, transaction);
        var deleted = await db.ExecuteAsync($"DELETE FROM {table} WHERE {key} = @value", new { value }, transaction) > 0;
        await transaction.CommitAsync();
        return deleted;
    }

    /// <summary>The groups that offer a menu: a menu they use cannot be deleted.</summary>
    public async Task<IReadOnlyList<string>> GroupsUsingMenuAsync(string menu)
    {
        await using var db = database.Open();
        return (await db.QueryAsync<string>("SELECT id FROM boot_groups WHERE menu = @menu ORDER BY id", new { menu })).ToList();
    }
}
