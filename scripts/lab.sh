#!/usr/bin/env bash
# A veth lab for the stack, built only from network namespaces this script creates (nothing touches the host's
# interfaces, routes or firewall).
#
#   lab.sh up   [--name N] [--topology plain|bridge|masquerade]
#   lab.sh down [--name N]
#
# Namespaces (N defaults to mip-lab):
#   N-stack  holds my0, up, no address, IPv6 off: the stack opens it (PcapDeviceOptions.Namespace = "N-stack")
#   N        the kernel side, holds my1 (offloads off on both ends)
#   plain       my1 = 192.168.2.1/24, dnsmasq on my1: DHCP 192.168.2.10-100, DNS for demo.lab/www.demo.lab
#   bridge      my1 and lan0 enslaved to br0 in N; N-lan holds lan1 = 192.168.2.1/24 and dnsmasq
#   masquerade  plain, plus N forwards and masquerades to N-up (10.99.0.2/30, python3 -m http.server :8080)
# State (pid files, leases, logs) lives in /run/mip-lab/N; `down` kills what `up` started and deletes it all.
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

cmd=${1:-}; shift || true
name=mip-lab
topology=plain
while (($#)); do
  case "$1" in
    --name) name=${2:?--name needs a value}; shift 2 ;;
    --name=*) name=${1#--name=}; shift ;;
    --topology) topology=${2:?--topology needs a value}; shift 2 ;;
    --topology=*) topology=${1#--topology=}; shift ;;
    -h|--help) usage ;;
    *) echo "lab: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$ ]] || { echo "lab: bad name '$name' (letters, digits, . _ -; at most 31)" >&2; exit 2; }
case "$topology" in plain|bridge|masquerade) ;; *) echo "lab: unknown topology '$topology'" >&2; usage ;; esac

state=/run/mip-lab/$name
ns_kernel=$name ns_stack=$name-stack ns_lan=$name-lan ns_up=$name-up
gw=192.168.2.1

need_root() { [ "$(id -u)" = 0 ] || { echo "lab: needs root (network namespaces): sudo $0 $cmd ..." >&2; exit 1; }; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ns_exists() { [ -e "/var/run/netns/$1" ]; }

offloads_off() { in_ns "$1" ethtool -K "$2" rx off tx off sg off tso off gso off gro off >/dev/null 2>&1 || true; }

start_bg() { # start_bg NS TAG CMD...: runs CMD in NS in the background, pid in $state/TAG.pid, log in $state/TAG.log
  local ns=$1 tag=$2; shift 2
  setsid ip netns exec "$ns" "$@" >"$state/$tag.log" 2>&1 </dev/null &
  echo $! >"$state/$tag.pid"
}

start_dnsmasq() { # start_dnsmasq NS IFACE
  start_bg "$1" dnsmasq dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
    --interface="$2" --except-interface=lo --dhcp-leasefile="$state/leases" --pid-file="$state/dnsmasq-own.pidfile" \
    --no-ping --log-dhcp \
    --dhcp-range=192.168.2.10,192.168.2.100,255.255.255.0,2m \
    --dhcp-option=option:router,$gw --dhcp-option=option:dns-server,$gw \
    --address=/demo.lab/$gw --address=/www.demo.lab/$gw --local=/lab/
  for _ in $(seq 100); do
    grep -q 'DHCP, IP range' "$state/dnsmasq.log" 2>/dev/null && return 0
    kill -0 "$(cat "$state/dnsmasq.pid")" 2>/dev/null || break
    sleep 0.05
  done
  echo "lab: dnsmasq did not start:" >&2; cat "$state/dnsmasq.log" >&2; return 1
}

veth() { # veth A NS_A B NS_B: a pair created directly inside the two namespaces
  ip link add "$1" netns "$2" type veth peer name "$3" netns "$4"
  offloads_off "$2" "$1"; offloads_off "$4" "$3"
  in_ns "$2" ip link set "$1" up; in_ns "$4" ip link set "$3" up
}

down() {
  need_root
  if [ -d "$state" ]; then
    for pidfile in "$state"/*.pid; do
      [ -e "$pidfile" ] || continue
      pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null || true
    done
  fi
  for ns in "$ns_stack" "$ns_lan" "$ns_up" "$ns_kernel"; do
    ns_exists "$ns" || continue
    # Anything else still running in our namespaces (e.g. a shell someone left) would keep them alive.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns"
  done
  rm -rf "$state"
  echo "lab $name: down"
}

up() {
  need_root
  for ns in "$ns_kernel" "$ns_stack" "$ns_lan" "$ns_up"; do
    if ns_exists "$ns"; then
      echo "lab: namespace '$ns' already exists: lab '$name' is in use (run: $0 down --name $name, or pick --name)" >&2
      exit 1
    fi
  done
  [ ! -e "$state" ] || { echo "lab: $state exists: lab '$name' is in use (run: $0 down --name $name)" >&2; exit 1; }
  for tool in ip ethtool dnsmasq; do command -v $tool >/dev/null || { echo "lab: $tool missing (run scripts/deps.sh)" >&2; exit 1; }; done
  fw=
  if [ "$topology" = masquerade ]; then
    if command -v nft >/dev/null; then fw=nft
    elif command -v iptables >/dev/null; then fw=iptables
    else
      echo "lab: the masquerade topology needs nft or iptables, and neither is installed (apt-get install nftables);" >&2
      echo "     plain and bridge work without them." >&2
      exit 1
    fi
    command -v python3 >/dev/null || { echo "lab: python3 missing (upstream HTTP server)" >&2; exit 1; }
  fi

  mkdir -p "$state"
  # From here on a failure undoes everything built so far.
  trap 'echo "lab: up failed, cleaning up" >&2; down >/dev/null 2>&1 || true' ERR
  echo "$topology" >"$state/topology"

  ip netns add "$ns_kernel"; ip netns add "$ns_stack"
  in_ns "$ns_kernel" ip link set lo up
  veth my0 "$ns_stack" my1 "$ns_kernel"
  in_ns "$ns_stack" sysctl -qw net.ipv6.conf.my0.disable_ipv6=1
  in_ns "$ns_kernel" sysctl -qw net.ipv6.conf.my1.disable_ipv6=1

  case "$topology" in
    plain|masquerade)
      in_ns "$ns_kernel" ip addr add $gw/24 dev my1
      start_dnsmasq "$ns_kernel" my1
      ;;
    bridge)
      ip netns add "$ns_lan"
      in_ns "$ns_lan" ip link set lo up
      in_ns "$ns_kernel" ip link add br0 type bridge
      # Bridged frames must not pass netfilter (br_netfilter would drop fragments and odd frames silently).
      for key in bridge-nf-call-iptables bridge-nf-call-ip6tables bridge-nf-call-arptables; do
        in_ns "$ns_kernel" sysctl -qw "net.bridge.$key=0" 2>/dev/null || true
      done
      veth lan0 "$ns_kernel" lan1 "$ns_lan"
      in_ns "$ns_kernel" ip link set my1 master br0
      in_ns "$ns_kernel" ip link set lan0 master br0
      in_ns "$ns_kernel" ip link set br0 up
      in_ns "$ns_lan" ip addr add $gw/24 dev lan1
      start_dnsmasq "$ns_lan" lan1
      ;;
  esac

  if [ "$topology" = masquerade ]; then
    ip netns add "$ns_up"
    in_ns "$ns_up" ip link set lo up
    veth up0 "$ns_kernel" up1 "$ns_up"
    in_ns "$ns_kernel" ip addr add 10.99.0.1/30 dev up0
    in_ns "$ns_up" ip addr add 10.99.0.2/30 dev up1
    in_ns "$ns_kernel" sysctl -qw net.ipv4.ip_forward=1
    # Rules live in $ns_kernel's own netfilter tables: the host's firewall is untouched.
    if [ "$fw" = nft ]; then
      in_ns "$ns_kernel" nft -f - <<'EOF'
table ip miplab {
  chain postrouting { type nat hook postrouting priority srcnat; oifname "up0" ip saddr 192.168.2.0/24 masquerade; }
}
EOF
    else
      in_ns "$ns_kernel" iptables -t nat -A POSTROUTING -s 192.168.2.0/24 -o up0 -j MASQUERADE
    fi
    start_bg "$ns_up" http python3 -m http.server 8080 --bind 10.99.0.2 --directory "$state"
  fi
  trap - ERR

  echo "lab $name: up ($topology)"
  echo "  stack side:  namespace $ns_stack, interface my0 (no address; PcapDeviceOptions { Interface = \"my0\", Namespace = \"$ns_stack\" })"
  case "$topology" in
    bridge) echo "  kernel side: namespace $ns_kernel, br0 = my1 + lan0; LAN namespace $ns_lan, lan1 = $gw/24" ;;
    *)      echo "  kernel side: namespace $ns_kernel, my1 = $gw/24" ;;
  esac
  echo "  dnsmasq:     DHCP 192.168.2.10-100 (2 min leases), DNS on $gw: demo.lab, www.demo.lab -> $gw"
  [ "$topology" != masquerade ] || echo "  upstream:    namespace $ns_up, 10.99.0.2/30, http://10.99.0.2:8080/ (via NAT in $ns_kernel, $fw)"
  echo "  enter:       sudo ip netns exec $ns_kernel bash     (e.g. ping 192.168.2.10, tcpdump -ni my1)"
  echo "  state:       $state (pid files, leases, logs)"
  echo "  remove:      ./run.sh lab down --name $name"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) usage ;;
esac
