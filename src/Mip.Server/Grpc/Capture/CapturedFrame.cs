namespace Mip.Server.Grpc.Capture;

/// <summary>A frame copied for one capture call: a pooled buffer the reader returns, its time and direction.</summary>
internal readonly record struct CapturedFrame(byte[] Buffer, int Length, int OriginalLength, long TimestampMicroseconds, bool Inbound);
