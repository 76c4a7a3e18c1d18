namespace Mip.Stack.Wire;

/// <summary>The fields of an Ethernet II header.</summary>
public readonly record struct EthernetRepr(MacAddress Destination, MacAddress Source, EtherType EtherType)
{
    public const int BufferLength = EthernetFrame.HeaderLength;

    public static bool TryParse(EthernetFrame frame, out EthernetRepr repr)
    {
        repr = new EthernetRepr(frame.Destination, frame.Source, frame.EtherType);
        return true;
    }

    /// <summary>Writes the header into the first <see cref="BufferLength"/> bytes of <paramref name="buffer"/>.</summary>
    public void Emit(Span<byte> buffer) => EthernetFrame.WriteHeader(buffer, Destination, Source, EtherType);
}
