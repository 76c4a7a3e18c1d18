namespace Mip.Stack.Wire;

/// <summary>The four client states a DHCPREQUEST is sent from; its fields differ per state (RFC 2131 §4.3.2).</summary>
internal enum DhcpRequestState : byte
{
    /// <summary>Answering an OFFER: ciaddr 0, option 50 = offered address, option 54 = chosen server; broadcast.</summary>
    Selecting,

    /// <summary>Verifying a remembered address: ciaddr 0, option 50 = that address, no option 54; broadcast.</summary>
    InitReboot,

    /// <summary>Extending the lease at T1: ciaddr = address, no option 50 or 54; unicast to the server.</summary>
    Renewing,

    /// <summary>Extending the lease at T2: ciaddr = address, no option 50 or 54; broadcast.</summary>
    Rebinding,
}
