using Bootstrap.Builder.Site;
using System.CommandLine;
using Bootstrap.Builder.Storage.Database;

namespace Bootstrap.Api.Features.Site;

/// <summary>
/// <c>move-to-postgres</c>: moves the single-instance site of <c>--config</c> (its SQLite rows,
/// kernels folder, runmode links and images folder) into an empty PostgreSQL database
/// (<see cref="SiteMigration"/>); setup/cluster.sh migrate runs it. The connection string is read
/// from a file, not the command line, where <c>ps</c> would show its password.
/// </summary>
public static class SiteCli
{
    public static Command MoveToPostgres()
    {
        var connectionFile = new Option<FileInfo>("--connection-file")
        {
            Description = "a file holding the Npgsql connection string of the empty target database",
            Required = true,
        };
        var move = new Command("move-to-postgres", "Move this site's rows, kernels, runmode links and images into an empty PostgreSQL database") { connectionFile };
        move.SetAction(async (parse, _) =>
        {
            if (Verb.LoadConfig(parse) is not { } config)
                return Verb.Refused;
            var file = parse.GetValue(connectionFile)!;
            if (!file.Exists)
                return Verb.Refuse(parse, $"--connection-file: {file.FullName} does not exist");
            var copies = Directory.CreateTempSubdirectory("bootstrap-move-").FullName;
            try
            {
                await SiteMigration.RunAsync(config, (await File.ReadAllTextAsync(file.FullName)).Trim(), copies,
                    line => parse.InvocationConfiguration.Output.WriteLine(line));
                return 0;
            }
            catch (Exception e) when (e is InvalidOperationException or System.Data.Common.DbException or IOException or ArgumentException)
            {
                return Verb.Refuse(parse, e.Message);
            }
            finally
            {
                Directory.Delete(copies, recursive: true);
            }
        });
        return move;
    }
}
