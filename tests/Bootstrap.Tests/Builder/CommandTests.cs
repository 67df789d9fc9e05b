using System.Diagnostics;
using Bootstrap.Builder.Processes;
using Bootstrap.Builder.Images.Templates;
using CliWrap;

namespace Bootstrap.Tests.Builder;

/// <summary>The process runner, with shell one-liners standing in for make (only here).</summary>
public sealed class CommandTests
{
    private static Command Shell(string script) => Cli.Wrap("sh").WithArguments(["-c", script]);

    [Fact]
    public async Task Output_and_exit_code_are_captured()
    {
        var result = await Shell("echo out; echo err >&2; exit 0").RunAsync();

        Assert.Equal((0, "out\n", "err\n"), (result.ExitCode, result.StandardOutput, result.StandardError));
    }

    [Fact]
    public async Task Failure_carries_the_tail_of_stderr()
    {
        var error = await Assert.ThrowsAsync<CommandFailedException>(() =>
            Shell("for i in $(seq 1 30); do echo line $i >&2; done; exit 2").RunAsync());

        Assert.Equal(2, error.Result.ExitCode);
        Assert.Equal("sh -c \"for i in $(seq 1 30); do echo line $i >&2; done; exit 2\" exited 2:\n" +
                     string.Join('\n', Enumerable.Range(11, 20).Select(i => $"line {i}")), error.Message);
    }

    [Fact]
    public async Task Without_validation_a_failure_is_just_a_result()
    {
        var result = await Shell("exit 3").RunAsync(validateExitCode: false);

        Assert.Equal(3, result.ExitCode);
    }

    [Fact]
    public async Task Timeout_kills_the_whole_process_tree()
    {
        var pidFile = Path.GetTempFileName();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<CommandTimeoutException>(() =>
            Shell($"sleep 60 & echo $! > {pidFile}; wait").RunAsync(TimeSpan.FromMilliseconds(500)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        Assert.StartsWith("sh -c \"sleep 60", error.Message);
        Assert.EndsWith("did not finish within 0 s and was stopped", error.Message);
        await Task.Delay(200);
        Assert.False(Running(File.ReadAllText(pidFile).Trim()), "the child sleep survived");
    }

    [Fact]
    public async Task Cancellation_stops_the_process()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var pidFile = Path.GetTempFileName();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Shell($"echo $$ > {pidFile}; sleep 60").RunAsync(cancel: cancel.Token));

        await Task.Delay(200);
        Assert.False(Running(File.ReadAllText(pidFile).Trim()), "the process survived");
    }

    /// <summary>Alive and not a zombie waiting for a parent that does not reap (a container's init may not).</summary>
    private static bool Running(string pid)
    {
        var status = $"/proc/{pid}/status";
        return File.Exists(status) && !File.ReadLines(status).Any(l => l.StartsWith("State:") && l.Contains("zombie"));
    }

    [Fact]
    public async Task Output_keeps_only_its_last_64_KiB()
    {
        var result = await Shell("head -c 300000 /dev/zero | tr '\\0' a; echo END").RunAsync();

        Assert.Equal(CommandRunner.OutputLimit, result.StandardOutput.Length);
        Assert.EndsWith("aaaEND\n", result.StandardOutput);
    }

    [Fact]
    public void Make_arguments_for_a_relink()
    {
        Assert.Equal(["-C", "/t/src", "bin/ipxe.lkrn", "EMBED=/tmp/s.ipxe", "NO_WERROR=1"],
            SourceTemplate.MakeArguments("/t/src", "bin/ipxe.lkrn", "/tmp/s.ipxe", null, null));
        Assert.Equal(["-C", "/t/src", "bin-x86_64-efi/ipxe.efi", "EMBED=/tmp/s.ipxe", "NO_WERROR=1", "CERT=/ca.pem", "TRUST=/ca.pem",
                      "SOURCE_DATE_EPOCH=1795400000"],
            SourceTemplate.MakeArguments("/t/src", "bin-x86_64-efi/ipxe.efi", "/tmp/s.ipxe", "/ca.pem", "/ca.pem", 1795400000));
    }
}
