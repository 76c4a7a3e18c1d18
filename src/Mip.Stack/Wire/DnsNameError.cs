namespace Mip.Stack.Wire;

/// <summary>Why a textual name could not be encoded as a query name (see <see cref="DnsName.Describe"/>).</summary>
internal enum DnsNameError : byte
{
    None = 0,
    Empty,
    EmptyLabel,
    LabelTooLong,
    NameTooLong,
    InvalidCharacter,
}
