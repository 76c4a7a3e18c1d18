using System.Security.Cryptography;
using System.Text;
using Mip.Stack.Wire;

namespace Mip.Server.Hosting;

/// <summary>Derives a stable MAC for the stack from the interface name.</summary>
internal static class MacDerivation
{
    /// <summary>
    /// A locally administered unicast MAC (IEEE 802 U/L bit set, I/G bit clear) from a hash of the name, so the
    /// stack's MAC is stable across restarts and never equals the kernel's MAC on the same interface: the kernel then
    /// never sees the stack's flows as its own and never answers them with RSTs.
    /// </summary>
    public static MacAddress FromInterfaceName(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("mip:" + name), hash);
        hash[0] = (byte)((hash[0] & 0xFC) | 0x02);
        return MacAddress.Read(hash);
    }
}
