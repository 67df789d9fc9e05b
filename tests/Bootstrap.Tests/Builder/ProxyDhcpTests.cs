using System.Net;
using Bootstrap.Builder.Pxe;
using Bootstrap.Builder.Pxe.Dhcp;

namespace Bootstrap.Tests.Builder;

/// <summary>The proxy's answers, byte by byte, for each kind of client; and silence for what it must not answer.</summary>
public sealed class ProxyDhcpTests
{
    private static readonly IPAddress Server = IPAddress.Parse("10.77.0.1");
    private const string Mac = "52:54:00:12:34:56";

    private sealed class Machines(PxeVerdict verdict, bool chain) : IPxeMachines
    {
        public PxeMachine Ask(string mac) => new(verdict, chain);
    }

    private static ProxyDhcpServer Proxy(PxeVerdict verdict = PxeVerdict.Unknown, string[]? deny = null, bool chain = false, TimeProvider? clock = null) =>
        new(new PxeAnswers(new PxeSite(Server, "http://10.77.0.1:5555", "snponly.efi", new HashSet<string>(), (deny ?? []).ToHashSet()), new Machines(verdict, chain), clock), _ => { });

    /// <summary>The same message with another transaction id (a new DHCP exchange of the same machine).</summary>
    private static byte[] WithXid(byte[] message, uint xid)
    {
        var copy = message.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(4), xid);
        return copy;
    }

    /// <summary>A client's message written by hand (RFC 2131 figure 1), independent of DhcpPacket.ToBytes.</summary>
    internal static byte[] ClientMessage(byte type, params (byte Code, byte[] Value)[] options)
    {
        var bytes = new List<byte> { 1, 1, 6, 0, 0xde, 0xad, 0xbe, 0xef, 0, 4, 0x80, 0 };
        bytes.AddRange(new byte[16]);                       // ciaddr yiaddr siaddr giaddr
        bytes.AddRange(new byte[] { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 });
        bytes.AddRange(new byte[10 + 64 + 128]);            // rest of chaddr, sname, file
        bytes.AddRange(new byte[] { 0x63, 0x82, 0x53, 0x63, 53, 1, type });
        foreach (var (code, value) in options)
            bytes.AddRange([code, (byte)value.Length, .. value]);
        bytes.Add(255);
        return [.. bytes];
    }

    private static (byte, byte[]) Vendor(string text) => (60, System.Text.Encoding.ASCII.GetBytes(text));
    private static (byte, byte[]) Arch(ushort type) => (93, [(byte)(type >> 8), (byte)type]);
    private static readonly (byte, byte[]) IpxeUserClass = (77, "iPXE"u8.ToArray());
    private static readonly (byte, byte[]) Uuid = (97, [0, .. Enumerable.Range(1, 16).Select(i => (byte)i)]);

    private static (DhcpPacket Reply, IPEndPoint To) Answer(ProxyDhcpServer proxy, byte[] message, bool bootServerPort = false)
    {
        var answer = proxy.Handle(message, new IPEndPoint(IPAddress.Parse("10.77.0.150"), 68), bootServerPort);
        Assert.NotNull(answer);
        return (DhcpPacket.Parse(answer.Value.Bytes)!, answer.Value.To);
    }

    [Fact]
    public void A_bios_pxe_rom_is_offered_undionly_over_tftp_and_no_address()
    {
        var (reply, to) = Answer(Proxy(), ClientMessage(1, Vendor("PXEClient:Arch:00000:UNDI:002001"), Arch(0), Uuid));

        Assert.Equal(new IPEndPoint(IPAddress.Broadcast, 68), to);
        Assert.Equal((2, 0xdeadbeefu, IPAddress.Any, Server, "undionly.kpxe", "10.77.0.1"),
            (reply.Op, reply.TransactionId, reply.YourAddress, reply.ServerAddress, reply.BootFile, reply.ServerName));
        Assert.Equal([2], reply.Option(53));
        Assert.Equal(Server.GetAddressBytes(), reply.Option(54));
        Assert.Equal("PXEClient"u8.ToArray(), reply.Option(60));
        Assert.Equal(Uuid.Item2, reply.Option(97));
        Assert.Equal([6, 1, 8, 255], reply.Option(43));
        Assert.Equal("undionly.kpxe"u8.ToArray(), reply.Option(67));
    }

    [Fact]
    public void Uefi_pxe_firmware_is_offered_the_efi_boot_file()
    {
        var (reply, _) = Answer(Proxy(), ClientMessage(1, Vendor("PXEClient:Arch:00007:UNDI:003000"), Arch(7)));
        Assert.Equal("snponly.efi", reply.BootFile);
        Assert.Equal(IPAddress.Any, reply.YourAddress);
    }

    [Fact]
    public void Arm64_uefi_firmware_is_offered_arm64_ipxe_over_tftp_and_arm64_http_boot_the_arm64_efi_file()
    {
        var (pxe, _) = Answer(Proxy(), ClientMessage(1, Vendor("PXEClient:Arch:00011:UNDI:003000"), Arch(11)));
        Assert.Equal(("ipxe-arm64.efi", Server, "PXEClient"), (pxe.BootFile, pxe.ServerAddress, System.Text.Encoding.ASCII.GetString(pxe.Option(60)!)));

        var (http, _) = Answer(Proxy(), ClientMessage(1, Vendor("HTTPClient:Arch:00019:UNDI:003000"), Arch(19)));
        Assert.Equal(("http://10.77.0.1:5555/uefi-generic-arm64.efi", "HTTPClient"), (http.BootFile, System.Text.Encoding.ASCII.GetString(http.Option(60)!)));
    }

    [Fact]
    public void Uefi_http_boot_gets_the_url_of_an_efi_file_and_its_class_echoed()
    {
        var (reply, _) = Answer(Proxy(), ClientMessage(1, Vendor("HTTPClient:Arch:00016:UNDI:003000"), Arch(16)));
        Assert.Equal("http://10.77.0.1:5555/uefi-generic.efi", reply.BootFile);
        Assert.Equal("HTTPClient"u8.ToArray(), reply.Option(60));
        Assert.Null(reply.Option(43));
        Assert.Equal(Server, reply.ServerAddress);
    }

    [Fact]
    public void Ipxe_gets_the_generic_script_or_a_known_machines_own_script()
    {
        var discover = ClientMessage(1, Vendor("PXEClient:Arch:00000:UNDI:002001"), Arch(0), IpxeUserClass);
        Assert.Equal("http://10.77.0.1:5555/ipxe-generic", Answer(Proxy(), discover).Reply.BootFile);
        Assert.Equal($"http://10.77.0.1:5555/provision/{Mac}", Answer(Proxy(PxeVerdict.Assigned), discover).Reply.BootFile);
    }

    [Fact]
    public void A_machine_set_to_chain_gets_our_ipxe_over_tftp_even_from_its_ipxe_rom_then_the_script()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var proxy = Proxy(PxeVerdict.Assigned, chain: true, clock: clock);
        var rom = ClientMessage(1, Vendor("PXEClient:Arch:00000:UNDI:002001"), Arch(0), IpxeUserClass);

        Assert.Equal("undionly.kpxe", Answer(proxy, rom).Reply.BootFile);
        Assert.Equal("undionly.kpxe", Answer(proxy, rom).Reply.BootFile);                    // the ROM's retry, same transaction
        Assert.Equal($"http://10.77.0.1:5555/provision/{Mac}", Answer(proxy, WithXid(rom, 1)).Reply.BootFile);   // our iPXE's own DHCP
        clock.Advance(PxeAnswers.ChainWindow);
        Assert.Equal("undionly.kpxe", Answer(proxy, WithXid(rom, 2)).Reply.BootFile);        // the next boot, from the ROM again
    }

    [Fact]
    public void Ipxes_proxy_request_to_port_4011_is_acked_to_its_sender()
    {
        var request = ClientMessage(3, Vendor("PXEClient:Arch:00007:UNDI:003001"), Arch(7), (175, [0xb1, 1, 1]));
        var (reply, to) = Answer(Proxy(), request, bootServerPort: true);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.77.0.150"), 68), to);
        Assert.Equal([5], reply.Option(53));
        Assert.Equal("http://10.77.0.1:5555/ipxe-generic", reply.BootFile);
    }

    [Fact]
    public void Silence_for_local_boot_ignored_and_denied_macs_unserved_architectures_ordinary_clients_and_requests_on_67()
    {
        var uefi = ClientMessage(1, Vendor("PXEClient:Arch:00007:UNDI:003000"), Arch(7));
        Assert.Null(Proxy(PxeVerdict.LocalDisk).Handle(uefi, new IPEndPoint(IPAddress.Any, 68), false));
        Assert.Null(Proxy(PxeVerdict.Ignore).Handle(uefi, new IPEndPoint(IPAddress.Any, 68), false));
        Assert.Null(Proxy(deny: [Mac]).Handle(uefi, new IPEndPoint(IPAddress.Any, 68), false));
        Assert.Null(Proxy().Handle(ClientMessage(1, Vendor("PXEClient:Arch:00010:UNDI:003000"), Arch(10)), new IPEndPoint(IPAddress.Any, 68), false));
        Assert.Null(Proxy().Handle(ClientMessage(1, Vendor("android-dhcp-14")), new IPEndPoint(IPAddress.Any, 68), false));
        Assert.Null(Proxy().Handle(ClientMessage(3, Vendor("PXEClient:Arch:00007:UNDI:003000"), Arch(7)), new IPEndPoint(IPAddress.Any, 68), false));
    }

    [Fact]
    public void Malformed_messages_get_no_answer()
    {
        var good = ClientMessage(1, Vendor("PXEClient:Arch:00007:UNDI:003000"), Arch(7));
        var proxy = Proxy();
        List<byte[]> bad =
        [
            good[..239],                                             // cut inside the cookie
            good[..^1],                                              // no End option
            [.. good[..240], 53, 200, 1, 255],                      // option length past the end
            [.. good[..240], 52, 1, 1, 255],                        // options go on in the file field (overload 1)
            [.. good[..236], 1, 2, 3, 4, .. good[240..]],           // wrong magic cookie
        ];
        bad[3][108] = 60; bad[3][109] = 250;                           // the overloaded file field's option runs past it
        Assert.All(bad, packet => Assert.Null(proxy.Handle(packet, new IPEndPoint(IPAddress.Any, 68), false)));
        Assert.Equal(bad.Count, proxy.Counters.Malformed);
        Assert.NotNull(proxy.Handle(good, new IPEndPoint(IPAddress.Any, 68), false));
    }

    [Fact]
    public void Fuzzed_messages_never_throw_and_no_reply_ever_offers_an_address()
    {
        var proxy = Proxy();
        var random = new Random(28);
        var parameterList = ((byte)55, Enumerable.Range(1, 255).Select(i => (byte)i).ToArray());
        byte[][] seeds =
        [
            ClientMessage(1, Vendor("PXEClient:Arch:00007:UNDI:003000"), Arch(7), Uuid),
            ClientMessage(1, Vendor("HTTPClient:Arch:00016:UNDI:003000"), Arch(16)),
            ClientMessage(3, Vendor("PXEClient"), IpxeUserClass, parameterList),
        ];
        for (var i = 0; i < 20_000; i++)
        {
            var packet = seeds[i % seeds.Length].ToArray();
            for (var flips = random.Next(1, 8); flips > 0; flips--)
                packet[random.Next(packet.Length)] = (byte)random.Next(256);
            if (random.Next(4) == 0)
                packet = packet[..random.Next(packet.Length)];
            proxy.Handle(packet, new IPEndPoint(IPAddress.Any, 68), bootServerPort: i % 2 == 0);
        }
        Assert.Equal(0, proxy.Counters.AddressesOffered);
        Assert.True(proxy.Counters.Answered > 0, "some fuzzed packets stay valid and are answered");
    }
}
