using System.Net;

namespace Mip.Client;

/// <summary>A received datagram and who sent it.</summary>
public readonly record struct MipDatagram(ReadOnlyMemory<byte> Payload, IPEndPoint RemoteEndPoint);
