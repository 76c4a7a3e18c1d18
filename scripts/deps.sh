#!/usr/bin/env bash
# Installs what the lab, the demo and the tests need, only where it is missing. Debian 12 / Ubuntu, as root.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libpcap0.8 dnsmasq-base iproute2 ethtool tshark socat tcpdump curl isc-dhcp-server udhcpd python3 procps nftables iputils-ping prometheus iperf3)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer for it.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The isc-dhcp-server package enables a system service we never want running outside our namespaces.
  systemctl disable --now isc-dhcp-server 2>/dev/null || true
  # Nor iperf3's server (the bench runs its own, in a namespace), nor the Prometheus daemon: the metrics test runs its own, briefly, with a generated config (promtool too).
  systemctl disable --now prometheus iperf3 2>/dev/null || true
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "deps: installing the .NET SDK" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends dotnet-sdk-10.0 >/dev/null || {
    echo "deps: could not install the .NET 10 SDK from apt; install it (https://learn.microsoft.com/dotnet/core/install/linux) and re-run" >&2
    exit 1
  }
fi

# Node.js tooling (buf for proto lint, the Node.js client test): from the npm registry, pinned by package-lock.json.
if ! command -v npm >/dev/null 2>&1; then
  echo "deps: installing nodejs and npm" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -x node_modules/.bin/buf ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
