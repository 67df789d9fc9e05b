using Bootstrap.Builder.Boot;

namespace Bootstrap.Tests.Builder;

public sealed class BootRequestParserTests
{
    private static readonly Dictionary<string, string> Networks = new() { ["prod"] = "Production", ["test"] = "Testnet" };

    [Fact]
    public void Nul_in_args_is_refused_by_name()
    {
        var (request, problem) = BootRequestParser.Parse(Networks, "prod", "1", "a\0b");

        Assert.Null(request);
        Assert.Equal(new RequestProblem(RequestProblemKind.Invalid, "args",
            "character U+0000 (NUL) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)"), problem);
        Assert.Equal("args: character U+0000 (NUL) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)", problem!.Message);
    }

    [Fact]
    public void Nul_in_farmer_is_refused_by_name()
    {
        var (_, problem) = BootRequestParser.Parse(Networks, "prod", "1\0");

        Assert.Equal("farmer: character U+0000 (NUL) is not allowed; a farm id is digits only", problem!.Message);
    }

    [Fact]
    public void Triple_underscore_is_a_slash_and_spaces_fold()
    {
        var (request, _) = BootRequestParser.Parse(Networks, "test", "42", "  root=___dev___sda1   ro  ");

        Assert.Equal(new BootRequest("test", "42", "root=/dev/sda1 ro", null), request);
        Assert.Equal("nomodeset version=v3 runmode=test panic=7200 farmer_id=42 root=/dev/sda1 ro", request!.CommandLine);
        Assert.Equal("net/test.efi", request.KernelPath);
    }

    [Fact]
    public void Unknown_network_lists_the_configured_ones_sorted()
    {
        var (_, problem) = BootRequestParser.Parse(Networks, "main\nnet");

        Assert.Equal(new RequestProblem(RequestProblemKind.UnknownNetwork, "network", "unknown network 'main?net'; configured networks: prod, test"), problem);
        Assert.Equal("unknown network 'main?net'; configured networks: prod, test", problem!.Message);
    }

    [Theory]
    [InlineData("zos.efi", null)]
    [InlineData("zero-os_v3.1.efi", null)]
    [InlineData("", "kernel: a file name is 1 to 128 characters")]
    [InlineData("a/b", "kernel: character '/' (U+002F) is not allowed in a file name (A-Z a-z 0-9 . _ -)")]
    [InlineData("a..b", "kernel: a file name must not start with '.' or contain '..'")]
    [InlineData(".upload-x.tmp", "kernel: a file name must not start with '.' or contain '..'")]
    public void Kernel_file_names(string name, string? problem)
    {
        Assert.Equal(problem, KernelNames.Check(name, "kernel"));
    }
}
