namespace Mip.Stack.Wire;

/// <summary>
/// Walks the tag-length-value options of a DHCP message (RFC 2132 §2). Pad (0) is skipped, End (255) closes a
/// region; a region may also simply run out, because some servers omit End. When option 52 (overload) appeared in
/// the options field, the 'file' field and then the 'sname' field are read as further option regions (RFC 2131 §4.1:
/// options first, then 'file', then 'sname'). A truncated option stops the walk and sets
/// <see cref="IsMalformed"/>; nothing here throws.
/// </summary>
internal ref struct DhcpOptionReader
{
    private const byte OverloadFile = 1;
    private const byte OverloadServerName = 2;

    private readonly ReadOnlySpan<byte> _bootFile;
    private readonly ReadOnlySpan<byte> _serverName;
    private ReadOnlySpan<byte> _region;
    private int _position;
    private Region _current;
    private byte _overload;

    private enum Region : byte
    {
        Options,
        BootFile,
        ServerName,
        Done,
    }

    public DhcpOptionReader(ReadOnlySpan<byte> options, ReadOnlySpan<byte> bootFile, ReadOnlySpan<byte> serverName)
    {
        _region = options;
        _bootFile = bootFile;
        _serverName = serverName;
        _position = 0;
        _current = Region.Options;
        _overload = 0;
        IsMalformed = false;
    }

    /// <summary>True once an option's length ran past the end of its region.</summary>
    public bool IsMalformed { get; private set; }

    /// <summary>Reads the next option; false at the end of all regions or on a malformed option.</summary>
    public bool TryReadNext(out DhcpOptionCode code, out ReadOnlySpan<byte> data)
    {
        while (_current != Region.Done)
        {
            if (_position >= _region.Length)
            {
                NextRegion();
                continue;
            }
            byte tag = _region[_position];
            if (tag == (byte)DhcpOptionCode.Pad)
            {
                _position++;
                continue;
            }
            if (tag == (byte)DhcpOptionCode.End)
            {
                NextRegion();
                continue;
            }
            if (_position + 1 >= _region.Length || _position + 2 + _region[_position + 1] > _region.Length)
            {
                IsMalformed = true;
                _current = Region.Done;
                break;
            }
            int length = _region[_position + 1];
            code = (DhcpOptionCode)tag;
            data = _region.Slice(_position + 2, length);
            _position += 2 + length;
            // Option 52 is only meaningful in the options field itself (RFC 2132 §9.3).
            if (code == DhcpOptionCode.OptionOverload && _current == Region.Options && length == 1)
            {
                _overload = data[0];
            }
            return true;
        }
        code = default;
        data = default;
        return false;
    }

    private void NextRegion()
    {
        _position = 0;
        if (_current == Region.Options && (_overload & OverloadFile) != 0)
        {
            _current = Region.BootFile;
            _region = _bootFile;
        }
        else if (_current is Region.Options or Region.BootFile && (_overload & OverloadServerName) != 0)
        {
            _current = Region.ServerName;
            _region = _serverName;
        }
        else
        {
            _current = Region.Done;
            _region = default;
        }
    }
}
