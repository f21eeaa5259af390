#!/usr/bin/env bash
# One network lab: a "public" namespace with OnAir and coturn, and four LANs, each behind a
# NAT router namespace (see README, "Network lab"). `lab.sh up|down|fault` for one lab; run.sh
# runs the scenarios. Nothing leaves the namespaces this script creates.
#
#   lab.sh up    PREFIX INDEX DIR TURN(on|off) RELAY(off|on)   builds the lab, starts coturn + OnAir
#   lab.sh down  PREFIX DIR                                    stops them, deletes every namespace
#   lab.sh fault PREFIX INDEX FAULT LAN                         link-down | link-up | rebind |
#                                                               block-relay-udp | unblock-relay-udp
set -euo pipefail

# The LANs, by number: 1 the studio (and a viewer on its own LAN: the direct route), 2 a viewer
# behind a plain NAT, 3 a NAT that lets UDP through only to the TURN server, 4 no UDP at all.
LANS=(1 2 3 4)
ONAIR_PORT=${NETLAB_ONAIR_PORT:-9400}
TURN_PORT=3478
TURN_SECRET=netlab-turn-secret

pub_ns() { echo "$1pub"; }
router_ns() { echo "$1r$2"; }
lan_ns() { echo "$1l$2"; }
# Addresses: the public segment is 10.77.INDEX.0/24 (OnAir and coturn on .1, router N on
# .10+N); LAN N is 10.8N.INDEX.0/24 (its router .1, its browser .2).
pub_ip() { echo "10.77.$1.1"; }
wan_ip() { echo "10.77.$1.$((10 + $2))"; }
lan_net() { echo "10.8$2.$1"; }

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

up() {
  local prefix=$1 index=$2 dir=$3 turn=$4 relay=$5
  local pub; pub=$(pub_ns "$prefix")
  local server_ip; server_ip=$(pub_ip "$index")
  mkdir -p "$dir"
  ip netns add "$pub"
  in_ns "$pub" ip link set lo up
  in_ns "$pub" ip link add name bridge0 type bridge
  in_ns "$pub" ip addr add "$server_ip/24" dev bridge0
  in_ns "$pub" ip link set bridge0 up
  for n in "${LANS[@]}"; do
    local router; router=$(router_ns "$prefix" "$n")
    local lan; lan=$(lan_ns "$prefix" "$n")
    local net; net=$(lan_net "$index" "$n")
    ip netns add "$router"
    ip netns add "$lan"
    in_ns "$router" ip link set lo up
    in_ns "$lan" ip link set lo up
    # WAN: the router's wan0 on the public bridge.
    # Each end made inside its namespace: parallel labs never share a name in the root one.
    ip -n "$pub" link add name "w$n" type veth peer name wan0 netns "$router"
    in_ns "$pub" ip link set "w$n" master bridge0 up
    in_ns "$router" ip addr add "$(wan_ip "$index" "$n")/24" dev wan0
    in_ns "$router" ip link set wan0 up
    # LAN: the router's lan0 to the browser's eth0.
    ip -n "$lan" link add name eth0 type veth peer name lan0 netns "$router"
    in_ns "$router" ip addr add "$net.1/24" dev lan0
    in_ns "$router" ip link set lan0 up
    in_ns "$lan" ip addr add "$net.2/24" dev eth0
    in_ns "$lan" ip link set eth0 up
    in_ns "$lan" ip route add default via "$net.1"
    in_ns "$router" sysctl -qw net.ipv4.ip_forward=1
    in_ns "$router" iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
    # Unsolicited packets from outside are dropped, as a home router does, before conntrack
    # keeps an entry for them: an entry kept would clash with the mapping the LAN's own reply
    # needs, and the NAT would pick another port for it (hole punching would never work).
    in_ns "$router" iptables -A INPUT -i wan0 -m conntrack --ctstate NEW -j DROP
  done
  # LAN 3: UDP only to the TURN server; LAN 4: no UDP at all (TURN over TCP).
  in_ns "$(router_ns "$prefix" 3)" iptables -A FORWARD -i lan0 -p udp -d "$server_ip" --dport "$TURN_PORT" -j ACCEPT
  in_ns "$(router_ns "$prefix" 3)" iptables -A FORWARD -i lan0 -p udp -j DROP
  in_ns "$(router_ns "$prefix" 4)" iptables -A FORWARD -i lan0 -p udp -j DROP

  # coturn relays only into the lab's public segment, never into private ranges (the LANs'
  # own addresses included: a real TURN server cannot reach them either).
  in_ns "$pub" turnserver -n --listening-ip="$server_ip" --relay-ip="$server_ip" --listening-port="$TURN_PORT" \
    --use-auth-secret --static-auth-secret="$TURN_SECRET" --realm=onair.test --no-tls --no-dtls --no-cli \
    --denied-peer-ip=10.0.0.0-10.255.255.255 --denied-peer-ip=172.16.0.0-172.31.255.255 \
    --denied-peer-ip=192.168.0.0-192.168.255.255 --allowed-peer-ip="10.77.$index.0-10.77.$index.255" \
    --pidfile="$dir/turnserver.pid" --db="$dir/turndb" --log-file=stdout --simple-log \
    >"$dir/coturn.log" 2>&1 &
  echo $! >"$dir/coturn.pid"

  local ice=(--ice-server "stun:$server_ip:$TURN_PORT")
  local turn_args=()
  if [[ $turn == on ]]; then
    ice+=(--ice-server "turn:$server_ip:$TURN_PORT" --ice-server "turn:$server_ip:$TURN_PORT?transport=tcp")
    turn_args=(--turn-secret "$TURN_SECRET")
  fi
  in_ns "$pub" env ONAIR_ADMIN_PASSWORD="${NETLAB_ADMIN_PASSWORD:-e2e-admin-password}" RUST_LOG=onair=info,warn \
    "$ONAIR_BIN" --addr "0.0.0.0:$ONAIR_PORT" --site-root "$ONAIR_SITE" --config "$ONAIR_CONFIG" \
    --data-dir "$dir/data" --relay "$relay" --public-ip "$server_ip" "${ice[@]}" "${turn_args[@]}" \
    >"$dir/onair.log" 2>&1 &
  echo $! >"$dir/onair.pid"
  for _ in $(seq 100); do
    in_ns "$pub" bash -c "exec 3<>/dev/tcp/$server_ip/$ONAIR_PORT" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "OnAir did not start in the lab; its log:" >&2
  cat "$dir/onair.log" >&2
  return 1
}

down() {
  local prefix=$1 dir=$2
  for pidfile in "$dir/onair.pid" "$dir/coturn.pid"; do
    [[ -f $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  # The lab's own namespaces only: each name starts with this run's prefix.
  for ns in $(ip netns list | awk '{ print $1 }' | grep -E "^${prefix}(pub|r[0-9]|l[0-9])$" || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}

fault() {
  local prefix=$1 index=$2 what=$3 n=$4
  local router; router=$(router_ns "$prefix" "$n")
  case $what in
    link-down) in_ns "$router" ip link set lan0 down ;;
    link-up) in_ns "$router" ip link set lan0 up ;;
    # A new mapping for every flow: another source port range, and the old entries gone.
    # New UDP mappings (TCP, the signaling, keeps its own): another source port range ahead
    # of the plain rule, and the old UDP entries gone.
    rebind)
      { in_ns "$router" iptables -t nat -S POSTROUTING | grep -e "-p udp" || true; } | sed 's/^-A /-D /' | while read -r rule; do
        # shellcheck disable=SC2086 # the rule's own words
        in_ns "$router" iptables -t nat $rule
      done
      local low=$((20000 + RANDOM % 20000))
      in_ns "$router" iptables -t nat -I POSTROUTING 1 -o wan0 -p udp -j MASQUERADE --to-ports "$low-$((low + 999))"
      in_ns "$router" conntrack -D -p udp >/dev/null 2>&1 || true
      ;;
    block-relay-udp) in_ns "$router" iptables -I FORWARD -i lan0 -p udp -d "$(pub_ip "$index")" --dport "$ONAIR_PORT" -j DROP ;;
    unblock-relay-udp) in_ns "$router" iptables -D FORWARD -i lan0 -p udp -d "$(pub_ip "$index")" --dport "$ONAIR_PORT" -j DROP ;;
    *) echo "unknown fault: $what" >&2; return 2 ;;
  esac
}

cmd=$1; shift
case $cmd in
  up) up "$@" ;;
  down) down "$@" ;;
  fault) fault "$@" ;;
  *) echo "usage: lab.sh up|down|fault …" >&2; exit 2 ;;
esac
