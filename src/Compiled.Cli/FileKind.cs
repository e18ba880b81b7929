using System.Runtime.InteropServices;

namespace Compiled.Cli;

/// <summary>
/// Tells a regular file from a FIFO, socket or device, and finds the device and inode of a file, without
/// opening it, since opening a FIFO blocks.
/// </summary>
internal static class FileKind
{
    private const int AtCurrentDirectory = -100;
    private const uint StatxType = 0x1;
    private const int TypeMask = 0xF000;
    private const int RegularFile = 0x8000;

    /// <summary>
    /// Returns the kind of a file that is not a regular file (<c>FIFO</c>, <c>socket</c>, <c>character device</c>,
    /// <c>block device</c>), or null for a regular file, a folder, or a path that <c>statx</c> cannot read.
    /// </summary>
    public static string? SpecialKind(string path)
    {
        // NOTE: only Linux (statx, glibc 2.28 or later) is checked. On other systems every entry counts as regular.
        if (Stat(path, StatxType) is not { } buffer)
        {
            return null;
        }

        // struct statx has the same layout on every Linux architecture: stx_mode is the 16-bit field at offset 28.
        int mode = BitConverter.ToUInt16(buffer, 28) & TypeMask;
        return mode switch
        {
            RegularFile or 0x4000 => null,
            0x1000 => "FIFO",
            0xC000 => "socket",
            0x2000 => "character device",
            0x6000 => "block device",
            _ => null,
        };
    }

    /// <summary>
    /// Returns the device and inode numbers of a file, following symbolic links, so that two paths of one file,
    /// hard links among them, compare equal. Null when <c>statx</c> cannot read the path or on systems other than Linux.
    /// </summary>
    public static (ulong Device, ulong Inode)? Identity(string path)
    {
        const uint StatxInode = 0x100;
        if (Stat(path, StatxInode) is not { } buffer || (BitConverter.ToUInt32(buffer, 0) & StatxInode) == 0)
        {
            return null;
        }

        // stx_ino is the 64-bit field at offset 32, and stx_dev_major and stx_dev_minor the 32-bit fields at 136 and 140.
        ulong device = (ulong)BitConverter.ToUInt32(buffer, 136) << 32 | BitConverter.ToUInt32(buffer, 140);
        return (device, BitConverter.ToUInt64(buffer, 32));
    }

    /// <summary>
    /// Returns the <c>struct statx</c> of a path, following symbolic links, with the fields of <paramref name="mask"/>
    /// requested. Null on systems other than Linux, without <c>statx</c> in the C library, or when the call fails.
    /// </summary>
    private static byte[]? Stat(string path, uint mask)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var buffer = new byte[256];
        try
        {
            return Statx(AtCurrentDirectory, path, 0, mask, buffer) == 0 ? buffer : null;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "statx")]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] result);
}
