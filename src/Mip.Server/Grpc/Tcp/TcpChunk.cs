using System.Buffers;

namespace Mip.Server.Grpc.Tcp;

/// <summary>Received bytes in a pooled buffer, or the end of stream when <see cref="Buffer"/> is null.</summary>
internal readonly record struct TcpChunk(byte[]? Buffer, int Length)
{
    public static TcpChunk End => default;

    public bool IsEnd => Buffer is null;

    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    public void Return()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
