namespace Mip.Stack.Wire;

/// <summary>The BOOTP 'op' field (RFC 951 §3, RFC 2131 §2).</summary>
internal enum DhcpOpcode : byte
{
    BootRequest = 1,
    BootReply = 2,
}
