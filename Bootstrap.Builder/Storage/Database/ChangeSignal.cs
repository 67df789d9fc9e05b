using Npgsql;

namespace Bootstrap.Builder.Storage.Database;

/// <summary>
/// Tells every process on one database that something changed, with the writer's id, so each can
/// reload what it keeps in memory (and ignore its own announcements). On SQLite it is a marker file
/// beside the database that each process watches (inotify); on PostgreSQL a LISTEN/NOTIFY channel,
/// which reaches every instance on every host at once.
/// </summary>
public abstract class ChangeSignal : IDisposable
{
    /// <summary>Raised with the announcing writer's id; "" when changes may have been missed (reload to be safe).</summary>
    public event Action<string>? Changed;

    /// <summary>Says that <paramref name="writerId"/> changed the database; throws <see cref="IOException"/> when it cannot.</summary>
    public abstract void Announce(string writerId);

    /// <summary>
    /// Done once changes are heard. A reader loads what it keeps after this, or a change made
    /// between its load and the start of listening would never reach it.
    /// </summary>
    public virtual Task Listening => Task.CompletedTask;

    public abstract void Dispose();

    protected void Raise(string writerId) => Changed?.Invoke(writerId);
}

/// <summary>The marker file <c>&lt;path&gt;</c>: the last writer's id, written aside and renamed into place.</summary>
public sealed class MarkerFileSignal : ChangeSignal
{
    private readonly string _path;
    private readonly FileSystemWatcher _watch;

    public MarkerFileSignal(string path)
    {
        _path = Path.GetFullPath(path);
        _watch = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path))
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watch.Changed += (_, _) => Read();
        _watch.Created += (_, _) => Read();
        _watch.Renamed += (_, _) => Read();
        _watch.EnableRaisingEvents = true;
    }

    private void Read()
    {
        string writer;
        try
        {
            writer = File.ReadAllText(_path);
        }
        catch (IOException)
        {
            writer = "";   // gone or unreadable: reload to be safe
        }
        Raise(writer);
    }

    public override void Announce(string writerId)
    {
        var temp = $"{_path}.{writerId}.tmp";
        try
        {
            File.WriteAllText(temp, writerId);
            File.Move(temp, _path, overwrite: true);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"could not write {_path} ({e.Message})", e);
        }
    }

    public override void Dispose() => _watch.Dispose();
}

/// <summary>
/// PostgreSQL's NOTIFY on channel <c>bootstrap_&lt;topic&gt;</c>, heard on one connection that waits
/// in LISTEN (no polling). When that connection drops it is opened again, and listeners are told to
/// reload, since notifications sent meanwhile are lost.
/// </summary>
public sealed class PostgresSignal : ChangeSignal
{
    private readonly NpgsqlDataSource _source;
    private readonly string _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<string> _warn;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Task Listening => _listening.Task;

    public PostgresSignal(NpgsqlDataSource source, string topic, Action<string> warn)
    {
        _source = source;
        _channel = Channel(topic);
        _warn = warn;
        _ = Task.Run(ListenAsync);
    }

    private async Task ListenAsync()
    {
        var missed = false;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _source.OpenConnectionAsync(_stop.Token);
                connection.Notification += (_, e) => Raise(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {_channel}", connection))
                    await listen.ExecuteNonQueryAsync(_stop.Token);
                _listening.TrySetResult();
                if (missed)
                    Raise("");
                missed = false;
                while (true)
                    await connection.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                if (!missed)
                    _warn($"lost the database's change notifications ({e.Message}); listening again");
                missed = true;
                _listening.TrySetResult();   // readers go on; when listening works again they are told to reload
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public override void Announce(string writerId)
    {
        try
        {
            using var connection = _source.OpenConnection();
            using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @writer)", connection);
            notify.Parameters.AddWithValue("channel", _channel);
            notify.Parameters.AddWithValue("writer", writerId);
            notify.ExecuteNonQuery();
        }
        catch (NpgsqlException e)
        {
            throw new IOException($"could not notify {_channel} ({e.Message})", e);
        }
    }

    public override void Dispose() => _stop.Cancel();

    private static string Channel(string topic) => "bootstrap_" + topic;

    /// <summary>
    /// Announces a change of <paramref name="topic"/> inside <paramref name="tx"/>: PostgreSQL
    /// delivers it when the transaction commits, and never if it rolls back (NOTIFY, "Notes").
    /// It names no writer (""), so every listener acts on it, the writer's own process included.
    /// </summary>
    public static Task AnnounceAsync(System.Data.Common.DbConnection db, System.Data.Common.DbTransaction tx, string topic) =>
        Dapper.SqlMapper.ExecuteAsync(db, "SELECT pg_notify(@channel, '')", new { channel = Channel(topic) }, tx);
}
