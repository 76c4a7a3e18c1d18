using System.Diagnostics;
using System.Text;
using Mip.Stack.Pcap.Native;

namespace Mip.Stack.Pcap;

public sealed unsafe partial class PcapDevice
{
    private void RefreshLinkIfStale()
    {
        if (Stopwatch.GetTimestamp() >= _nextLinkRefresh)
        {
            RefreshLink();
        }
    }

    private void RefreshLink()
    {
        ObjectDisposedException.ThrowIf(_pcap == 0, this);
        _nextLinkRefresh = Stopwatch.GetTimestamp() + _linkRefreshTicks;
        LibC.IfReq request = default;
        WriteName(ref request, Interface);
        // A vanished interface (ENODEV) reads as link down; the capture itself reports errors on Receive.
        _linkUp = LibC.Ioctl(_controlSocket, LibC.SiocGIfFlags, &request) == 0
            && ((short)request.Value & (LibC.IffUp | LibC.IffRunning)) == (LibC.IffUp | LibC.IffRunning);
        request = default;
        WriteName(ref request, Interface);
        if (LibC.Ioctl(_controlSocket, LibC.SiocGIfMtu, &request) == 0 && request.Value > 0)
        {
            _mtu = request.Value;
        }
        else if (_mtu == 0)
        {
            _mtu = 1500;
        }
    }

    private static void WriteName(ref LibC.IfReq request, string name)
    {
        fixed (byte* p = request.Name)
        {
            int n = Encoding.UTF8.GetBytes(name, new Span<byte>(p, LibC.IfNameSize - 1));
            p[n] = 0;
        }
    }
}
