namespace Bootstrap.Tests.Support;

/// <summary>
/// A 1 MiB disk whose MBR boot code only writes a message to COM1 and halts: when the serial log
/// shows the message, the firmware (or iPXE's sanboot) really handed over to this disk.
/// </summary>
public static partial class MbrDisk
{
    public const string Message = "LOCAL DISK BOOTED";

    /// <summary>The message of <see cref="WithMessage"/> on the serial log.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(Message)]
    public static partial System.Text.RegularExpressions.Regex Booted();

    /// <summary>A disk of <paramref name="bytes"/> (at least 1 MiB) printing <see cref="Message"/> when booted.</summary>
    public static byte[] WithMessage(long bytes = 1024 * 1024)
    {
        var disk = new byte[bytes];
        PrintingOnSerial(Message + "\r\n").CopyTo(disk, 0);
        return disk;
    }

    private static byte[] PrintingOnSerial(string message)
    {
        // 16-bit real mode, loaded at 0000:7C00 (the BIOS boot protocol). The message follows at 7C18.
        byte[] code =
        [
            0xFC,                   // cld
            0x31, 0xC0,             // xor ax, ax
            0x8E, 0xD8,             // mov ds, ax
            0xBA, 0xF8, 0x03,       // mov dx, 0x3F8 (COM1 data port)
            0xBE, 0x18, 0x7C,       // mov si, 0x7C18
            0xAC,                   // next: lodsb
            0x08, 0xC0,             // or al, al
            0x74, 0x03,             // jz halt
            0xEE,                   // out dx, al
            0xEB, 0xF8,             // jmp next
            0xF4,                   // halt: hlt
            0xEB, 0xFD,             // jmp halt
            0x90, 0x90,             // (pad to 0x18)
        ];
        var disk = new byte[1024 * 1024];
        code.CopyTo(disk, 0);
        System.Text.Encoding.ASCII.GetBytes(message + "\0").CopyTo(disk, 0x18);
        disk[510] = 0x55;   // boot signature
        disk[511] = 0xAA;
        return disk;
    }
}
