#!/usr/bin/env bash
# The NAT lab of Tin Can's lab tests (e2e/lab/): two hosts, each behind its own NAT router, and a
# "public" segment with coturn as STUN and TURN, all in network namespaces of this machine.
#
#   tcl-a (10.0.1.10) -- tcl-ra (NAT, WAN 203.0.113.11) --+
#                                                          +-- tcl-pub (bridge, coturn 203.0.113.1)
#   tcl-b (10.0.2.10) -- tcl-rb (NAT, WAN 203.0.113.12) --+
#
# Nothing in the lab has a link to this machine's own namespace or a default route beyond the
# routers, so no packet of the lab can reach a real network. Each host namespace serves dist/ on
# its own 127.0.0.1:4173 under /tincan/, so a browser started inside it (`ip netns exec tcl-a
# chromium`) opens the app at http://127.0.0.1:4173/tincan/, a secure context, as on loopback.
#
# Usage (root): scripts/natlab.sh check|up|down|status|reset
#               scripts/natlab.sh nat cone|symmetric [a|b]
#               scripts/natlab.sh move a|b [--new-public]
#               scripts/natlab.sh netem a|b '<netem args>' | off  [both|to-host|to-wan]
# Environment: TINCAN_LAB_DIST (default: dist/ of this checkout), TINCAN_LAB_DIR (state, logs,
# coturn's files; default /tmp/tincan-natlab).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LAB_DIR=${TINCAN_LAB_DIR:-/tmp/tincan-natlab}
DIST=${TINCAN_LAB_DIST:-$ROOT/dist}
APP_PORT=4173

NS_PUB=tcl-pub
PUBLIC_IP=203.0.113.1
PUBLIC_NET=24
# Each router's WAN address, and the one `move --new-public` switches to (and back).
declare -A WAN_IPS=([a]="203.0.113.11 203.0.113.21" [b]="203.0.113.12 203.0.113.22")
# Each LAN's first three octets; the router is .1, the host .10 (or .11 after `move`).
declare -A LAN=([a]=10.0.1 [b]=10.0.2)
HOST_IPS=(10 11)
TURN_PORT=3478
TURN_USER=tincan
TURN_PASS=lab-secret
TURN_REALM=tincan.lab
# Every namespace the lab makes; `down` deletes exactly these (and the probe of `check`).
ALL_NS=(tcl-a tcl-b tcl-ra tcl-rb "$NS_PUB")
PROBE_NS=tcl-probe

die() { echo "natlab: $*" >&2; exit 1; }
say() { echo "natlab: $*"; }
host_ns() { echo "tcl-$1"; }
router_ns() { echo "tcl-r$1"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }
side_arg() {
  case "${1:-}" in a | b) ;; *) die "expected a host, a or b (got '${1:-}')" ;; esac
}

# ---- check -------------------------------------------------------------------------------

# Everything the lab needs, checked before anything is made, so that a missing piece is named in
# one line instead of surfacing as a hang or a half-built lab.
check() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, iptables): run it with sudo or as root"
  local missing=() tool package
  for tool in ip:iproute2 tc:iproute2 iptables:iptables conntrack:conntrack turnserver:coturn \
    turnutils_stunclient:coturn node:nodejs timeout:coreutils curl:curl; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool%%:*} (Debian package ${tool#*:})")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    die "missing: $(IFS=,; echo "${missing[*]}" | sed 's/,/, /g'); bash scripts/setup.sh installs them"
  fi
  # The kernel side: namespaces, NAT and conntrack, tried in a throwaway namespace.
  ip netns del "$PROBE_NS" 2>/dev/null || true
  ip netns add "$PROBE_NS" 2>/dev/null || die "cannot create a network namespace (ip netns add): is this a container without CAP_SYS_ADMIN?"
  local why=""
  in_ns "$PROBE_NS" iptables -t nat -A POSTROUTING -o lo -j MASQUERADE --random-fully 2>/dev/null \
    || why="iptables cannot add a MASQUERADE --random-fully rule (kernel without NAT?)"
  [ -n "$why" ] || in_ns "$PROBE_NS" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT 2>/dev/null \
    || why="iptables cannot match on conntrack state (kernel without nf_conntrack?)"
  [ -n "$why" ] || in_ns "$PROBE_NS" conntrack -F >/dev/null 2>&1 || why="conntrack -F fails (no conntrack netlink in the kernel?)"
  ip netns del "$PROBE_NS"
  [ -z "$why" ] || die "$why"
}

# Whether this kernel has the netem qdisc (Debian's does; some VM kernels do not).
has_netem() {
  local ok=0
  ip netns del "$PROBE_NS" 2>/dev/null || true
  ip netns add "$PROBE_NS"
  in_ns "$PROBE_NS" tc qdisc add dev lo root netem delay 1ms 2>/dev/null || ok=1
  ip netns del "$PROBE_NS"
  return $ok
}

# ---- down --------------------------------------------------------------------------------

# Ends every process inside the lab's namespaces (coturn, the static servers, browsers, the delay
# queue) and deletes the namespaces, which takes their links, addresses and iptables rules with
# them. Idempotent.
down() {
  local ns pids
  for ns in "${ALL_NS[@]}" "$PROBE_NS"; do
    ns_exists "$ns" || continue
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
  done
  local deadline=$((SECONDS + 5))
  for ns in "${ALL_NS[@]}" "$PROBE_NS"; do
    ns_exists "$ns" || continue
    while pids=$(ip netns pids "$ns" 2>/dev/null) && [ -n "$pids" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -f "$LAB_DIR"/state-* 2>/dev/null || true
}

# ---- up ----------------------------------------------------------------------------------

new_ns() {
  local ns=$1
  ip netns add "$ns"
  # No IPv6 at all: the lab is about IPv4 NATs, and a link-local v6 address must not let two hosts
  # meet around the routers.
  in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  in_ns "$ns" ip link set lo up
}

# The home-router firewall: answers to what the LAN sent pass, anything unsolicited from the WAN
# is dropped. Dropping in INPUT matters for the NAT's behaviour, not only for safety: an
# unsolicited packet that reached the router's own stack would leave a conntrack entry for its
# port, and the router's MASQUERADE would then pick another port for the LAN host's own packets
# to that peer, which makes the NAT behave as a symmetric one.
router_firewall() {
  local ns=$1
  in_ns "$ns" iptables -A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  in_ns "$ns" iptables -A INPUT -i wan -j DROP
  in_ns "$ns" iptables -A FORWARD -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  in_ns "$ns" iptables -A FORWARD -i wan -j DROP
}

# cone: plain MASQUERADE keeps the source port (endpoint-independent mapping); with the firewall
# above, srflx-to-srflx hole punching works. symmetric: --random-fully picks a random port per
# destination, so the port the STUN server saw is not the one the peer would have to reach.
set_nat() {
  local side=$1 mode=$2 ns
  ns=$(router_ns "$side")
  in_ns "$ns" iptables -t nat -F POSTROUTING
  case "$mode" in
    cone) in_ns "$ns" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE ;;
    symmetric) in_ns "$ns" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully ;;
    *) die "unknown NAT mode '$mode' (cone or symmetric)" ;;
  esac
  in_ns "$ns" conntrack -F >/dev/null 2>&1 || true
  echo "$mode" >"$LAB_DIR/state-nat-$side"
}

make_side() {
  local side=$1 host router wan lan
  host=$(host_ns "$side")
  router=$(router_ns "$side")
  read -r wan _ <<<"${WAN_IPS[$side]}"
  lan=${LAN[$side]}
  new_ns "$router"
  new_ns "$host"
  # WAN: a veth whose other end is a port of the public bridge.
  ip -n "$router" link add wan type veth peer name "r$side" netns "$NS_PUB"
  ip -n "$NS_PUB" link set "r$side" master pub up
  ip -n "$router" addr add "$wan/$PUBLIC_NET" dev wan
  ip -n "$router" link set wan up
  # LAN: a veth to the host.
  ip -n "$router" link add lan type veth peer name eth0 netns "$host"
  ip -n "$router" addr add "$lan.1/24" dev lan
  ip -n "$router" link set lan up
  in_ns "$router" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$host" addr add "$lan.${HOST_IPS[0]}/24" dev eth0
  ip -n "$host" link set eth0 up
  ip -n "$host" route add default via "$lan.1"
  router_firewall "$router"
  set_nat "$side" cone
  echo 0 >"$LAB_DIR/state-lan-$side"
  echo 0 >"$LAB_DIR/state-wan-$side"
}

write_turn_config() {
  cat >"$LAB_DIR/turnserver.conf" <<EOF
# coturn for Tin Can's NAT lab (scripts/natlab.sh): STUN and TURN on $PUBLIC_IP:$TURN_PORT, UDP and TCP.
listening-ip=$PUBLIC_IP
relay-ip=$PUBLIC_IP
listening-port=$TURN_PORT
min-port=49152
max-port=65535
realm=$TURN_REALM
lt-cred-mech
user=$TURN_USER:$TURN_PASS
fingerprint
no-tls
no-dtls
no-cli
no-multicast-peers
no-software-attribute
userdb=$LAB_DIR/turndb
pidfile=$LAB_DIR/turnserver.pid
log-file=$LAB_DIR/turnserver.log
simple-log
EOF
}

start_bg() {
  local ns=$1 log=$2
  shift 2
  # setsid: its own session, so that nothing of the caller's terminal or process group holds it.
  ip netns exec "$ns" setsid "$@" </dev/null >"$log" 2>&1 &
}

# Polls `probe` (a command) until it succeeds or `seconds` pass; never hangs.
wait_for() {
  local what=$1 seconds=$2 log=$3
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge "$deadline" ]; then
      echo "natlab: $what did not answer within ${seconds}s; last lines of $log:" >&2
      tail -n 5 "$log" >&2 2>/dev/null || true
      down
      exit 1
    fi
    sleep 0.2
  done
}

stun_answers() {
  local side=$1 want=$2
  timeout 3 ip netns exec "$(host_ns "$side")" turnutils_stunclient -p "$TURN_PORT" "$PUBLIC_IP" 2>&1 | grep -q "$want"
}

app_answers() {
  timeout 3 ip netns exec "$(host_ns "$1")" curl -fsS -o /dev/null "http://127.0.0.1:$APP_PORT/tincan/"
}

up() {
  check
  [ -f "$DIST/index.html" ] || die "no $DIST/index.html: build the app first (trunk build --release --offline --locked --public-url /tincan/ --dist dist), or set TINCAN_LAB_DIST"
  [ -f "$ROOT/e2e/serve.mjs" ] || die "no e2e/serve.mjs in $ROOT"
  down
  mkdir -p "$LAB_DIR"
  rm -f "$LAB_DIR"/*.log "$LAB_DIR/turndb" "$LAB_DIR/turnserver.pid"

  new_ns "$NS_PUB"
  ip -n "$NS_PUB" link add pub type bridge
  ip -n "$NS_PUB" addr add "$PUBLIC_IP/$PUBLIC_NET" dev pub
  ip -n "$NS_PUB" link set pub up
  make_side a
  make_side b

  write_turn_config
  start_bg "$NS_PUB" "$LAB_DIR/turnserver.out" turnserver -c "$LAB_DIR/turnserver.conf"
  start_bg tcl-a "$LAB_DIR/serve-a.log" node "$ROOT/e2e/serve.mjs" --dir "$DIST" --base /tincan/ --port "$APP_PORT" --host 127.0.0.1
  start_bg tcl-b "$LAB_DIR/serve-b.log" node "$ROOT/e2e/serve.mjs" --dir "$DIST" --base /tincan/ --port "$APP_PORT" --host 127.0.0.1

  # coturn answers a STUN binding from each host with the host's router's public address: the
  # whole path (LAN, NAT, bridge, coturn) works.
  wait_for "coturn (STUN from tcl-a)" 15 "$LAB_DIR/turnserver.log" stun_answers a "${WAN_IPS[a]%% *}"
  wait_for "coturn (STUN from tcl-b)" 5 "$LAB_DIR/turnserver.log" stun_answers b "${WAN_IPS[b]%% *}"
  wait_for "the app server in tcl-a" 10 "$LAB_DIR/serve-a.log" app_answers a
  wait_for "the app server in tcl-b" 10 "$LAB_DIR/serve-b.log" app_answers b
  # Forget the probes' NAT mappings: every test starts from empty conntrack tables.
  in_ns tcl-ra conntrack -F >/dev/null 2>&1 || true
  in_ns tcl-rb conntrack -F >/dev/null 2>&1 || true

  say "up: coturn STUN/TURN at $PUBLIC_IP:$TURN_PORT (udp, tcp; user $TURN_USER, password $TURN_PASS, realm $TURN_REALM)"
  say "up: tcl-a ${LAN[a]}.${HOST_IPS[0]} behind tcl-ra ${WAN_IPS[a]%% *}, tcl-b ${LAN[b]}.${HOST_IPS[0]} behind tcl-rb ${WAN_IPS[b]%% *}, both NATs cone"
  say "up: http://127.0.0.1:$APP_PORT/tincan/ inside tcl-a and tcl-b serves $DIST"
}

require_up() {
  local ns
  for ns in "${ALL_NS[@]}"; do ns_exists "$ns" || die "the lab is not up (no namespace $ns): run scripts/natlab.sh up"; done
}

# ---- nat, move, netem, reset -------------------------------------------------------------

nat() {
  local mode=${1:-} side=${2:-}
  case "$mode" in cone | symmetric) ;; *) die "usage: natlab.sh nat cone|symmetric [a|b]" ;; esac
  require_up
  if [ -n "$side" ]; then
    side_arg "$side"
    set_nat "$side" "$mode"
  else
    set_nat a "$mode"
    set_nat b "$mode"
  fi
  say "nat: ${side:-a and b} $mode"
}

# Moves a host to another network: its LAN address changes (the old one is gone, as when a
# laptop joins another Wi-Fi), and with --new-public its router's public address changes too (a
# phone going from Wi-Fi to cellular). The router forgets its NAT mappings either way. Each call
# alternates between two addresses.
move_to() {
  local side=$1 lan_index=$2 wan_index=$3 host router lan new_lan old_wan new_wan
  host=$(host_ns "$side")
  router=$(router_ns "$side")
  lan=${LAN[$side]}
  new_lan="$lan.${HOST_IPS[$lan_index]}"
  ip -n "$host" addr flush dev eth0
  ip -n "$host" addr add "$new_lan/24" dev eth0
  ip -n "$host" route replace default via "$lan.1"
  echo "$lan_index" >"$LAB_DIR/state-lan-$side"
  local wans=(${WAN_IPS[$side]})
  new_wan=${wans[$wan_index]}
  old_wan=${wans[$((1 - wan_index))]}
  if ! ip -n "$router" -4 addr show dev wan | grep -q "inet $new_wan/"; then
    # Old one first: deleting a primary address also deletes its secondaries.
    ip -n "$router" addr del "$old_wan/$PUBLIC_NET" dev wan 2>/dev/null || true
    ip -n "$router" addr add "$new_wan/$PUBLIC_NET" dev wan
  fi
  echo "$wan_index" >"$LAB_DIR/state-wan-$side"
  in_ns "$router" conntrack -F >/dev/null 2>&1 || true
}

move() {
  local side=${1:-} new_public=${2:-}
  side_arg "$side"
  case "$new_public" in '' | --new-public) ;; *) die "usage: natlab.sh move a|b [--new-public]" ;; esac
  require_up
  local lan_index wan_index
  lan_index=$((1 - $(cat "$LAB_DIR/state-lan-$side")))
  wan_index=$(cat "$LAB_DIR/state-wan-$side")
  [ -z "$new_public" ] || wan_index=$((1 - wan_index))
  move_to "$side" "$lan_index" "$wan_index"
  local wans=(${WAN_IPS[$side]})
  say "move: tcl-$side is now ${LAN[$side]}.${HOST_IPS[$lan_index]} behind ${wans[$wan_index]}"
}

# Loss and delay on a host's router: both directions (the router's egress to the WAN and to the
# LAN; the default), or only towards its host (`to-host`, what one `tc qdisc add dev lan root
# netem …` on the router does) or only towards the WAN (`to-wan`). With the kernel's netem qdisc when it has one. Without it (some VM kernels are built
# without CONFIG_NET_SCH_NETEM), loss becomes an iptables `statistic` drop in the router's FORWARD
# chain and delay a userspace queue (scripts/natlab/delay-queue.py, NFQUEUE) that holds each
# forwarded packet for the delay.
netem_off() {
  local router=$1
  in_ns "$router" tc qdisc del dev wan root 2>/dev/null || true
  in_ns "$router" tc qdisc del dev lan root 2>/dev/null || true
  in_ns "$router" iptables -t mangle -F FORWARD 2>/dev/null || true
  if [ -f "$LAB_DIR/state-delayq-${router}" ]; then
    kill "$(cat "$LAB_DIR/state-delayq-${router}")" 2>/dev/null || true
    rm -f "$LAB_DIR/state-delayq-${router}"
  fi
  rm -f "$LAB_DIR/state-netem-$router"
}

netem() {
  local side=${1:-} args=${2:-} direction=${3:-both}
  side_arg "$side"
  [ -n "$args" ] || die "usage: natlab.sh netem a|b '<netem args, e.g. loss 5% delay 100ms>' | off [both|to-host|to-wan]"
  local devices
  case "$direction" in
    both) devices="wan lan" ;;
    to-host) devices="lan" ;;
    to-wan) devices="wan" ;;
    *) die "netem direction must be both, to-host or to-wan (got '$direction')" ;;
  esac
  require_up
  local router
  router=$(router_ns "$side")
  netem_off "$router"
  if [ "$args" = off ]; then
    say "netem: tcl-r$side off"
    return
  fi
  if has_netem; then
    local device
    for device in $devices; do
      # shellcheck disable=SC2086 # the netem arguments are words on purpose
      in_ns "$router" tc qdisc add dev "$device" root netem $args || die "tc rejected the netem arguments '$args'"
    done
    echo "netem $args $direction" >"$LAB_DIR/state-netem-$router"
    say "netem: tcl-r$side $args ($direction, tc netem)"
    return
  fi
  emulate_netem "$side" "$router" "$args" "$direction"
}

emulate_netem() {
  local side=$1 router=$2 args=$3 direction=$4 loss="" delay="" word out=()
  case "$direction" in
    to-host) out=(-o lan) ;;
    to-wan) out=(-o wan) ;;
  esac
  # shellcheck disable=SC2086
  set -- $args
  while [ $# -gt 0 ]; do
    word=$1
    shift
    case "$word" in
      loss) loss=${1:-}; shift || true ;;
      delay) delay=${1:-}; shift || true ;;
      *) die "this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM); without it the lab emulates only 'loss N%' and 'delay Nms', not '$word'" ;;
    esac
  done
  if [ -n "$loss" ]; then
    [[ "$loss" =~ ^([0-9]+(\.[0-9]+)?)%$ ]] || die "loss must look like 5% (got '$loss')"
    local p
    p=$(awk -v l="${BASH_REMATCH[1]}" 'BEGIN { printf "%.4f", l / 100 }')
    in_ns "$router" iptables -t mangle -A FORWARD "${out[@]}" -m statistic --mode random --probability "$p" -j DROP
  fi
  if [ -n "$delay" ]; then
    [[ "$delay" =~ ^([0-9]+)ms$ ]] || die "delay must look like 100ms (got '$delay')"
    local python
    # Debian's own python3 first: a user's pyenv shim may not be on root's PATH in CI.
    if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; else
      python=$(command -v python3) || die "this kernel has no netem qdisc, and emulating delay needs python3"
    fi
    start_bg "$router" "$LAB_DIR/delayq-$side.log" "$python" "$ROOT/scripts/natlab/delay-queue.py" --queue 7 --delay-ms "${BASH_REMATCH[1]}"
    echo $! >"$LAB_DIR/state-delayq-${router}"
    local deadline=$((SECONDS + 5))
    until grep -q '^ready' "$LAB_DIR/delayq-$side.log" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ] || ! kill -0 "$(cat "$LAB_DIR/state-delayq-${router}")" 2>/dev/null; then
        tail -n 3 "$LAB_DIR/delayq-$side.log" >&2 || true
        netem_off "$router"
        die "the delay queue did not start in $router"
      fi
      sleep 0.1
    done
    # After the loss rule: a packet is first dropped or not, then held for the delay.
    in_ns "$router" iptables -t mangle -A FORWARD "${out[@]}" -j NFQUEUE --queue-num 7
  fi
  echo "emulated $args $direction" >"$LAB_DIR/state-netem-$router"
  say "netem: tcl-r$side $args ($direction; this kernel has no netem: loss by iptables statistic, delay by an NFQUEUE delay queue)"
}

# Back to the state `up` leaves: cone NATs, original addresses, no loss or delay, empty conntrack.
reset() {
  require_up
  local side
  for side in a b; do
    netem_off "$(router_ns "$side")"
    [ "$(cat "$LAB_DIR/state-lan-$side")$(cat "$LAB_DIR/state-wan-$side")" = 00 ] || move_to "$side" 0 0
    set_nat "$side" cone
  done
  say "reset: cone NATs, first addresses, no loss or delay"
}

# ---- status ------------------------------------------------------------------------------

status() {
  local ns missing=0
  for ns in "${ALL_NS[@]}"; do ns_exists "$ns" || missing=1; done
  if [ $missing -eq 1 ]; then
    say "down (namespaces present: $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^tcl-' | tr '\n' ' '))"
    return 0
  fi
  local side router
  for side in a b; do
    router=$(router_ns "$side")
    printf 'tcl-%s %s  behind tcl-r%s %s  nat %s  netem %s\n' "$side" \
      "$(ip -n "tcl-$side" -4 -o addr show dev eth0 | awk '{print $4}')" "$side" \
      "$(ip -n "$router" -4 -o addr show dev wan | awk '{print $4}' | tr '\n' ' ')" \
      "$(cat "$LAB_DIR/state-nat-$side" 2>/dev/null || echo '?')" \
      "$(cat "$LAB_DIR/state-netem-$router" 2>/dev/null || echo off)"
  done
  printf 'coturn %s:%s  %s\n' "$PUBLIC_IP" "$TURN_PORT" "$(stun_answers a 203.0.113 && echo answers || echo 'NOT answering')"
  for side in a b; do
    printf 'app in tcl-%s  %s\n' "$side" "$(app_answers "$side" && echo answers || echo 'NOT answering')"
  done
  for ns in "${ALL_NS[@]}"; do
    printf '%s processes: %s\n' "$ns" "$(ip netns pids "$ns" | xargs -r ps -o comm= -p | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')"
  done
}

cmd=${1:-}
[ $# -eq 0 ] || shift
case "$cmd" in
  check) check && say "ready: root, ip, tc, iptables, conntrack, coturn, node, curl, kernel NAT and conntrack$(has_netem && echo ', netem' || echo '; no netem qdisc (loss and delay are emulated)')" ;;
  up) up ;;
  down) [ "$(id -u)" -eq 0 ] || die "must run as root"; down; say "down" ;;
  status) [ "$(id -u)" -eq 0 ] || die "must run as root"; status ;;
  nat) nat "$@" ;;
  move) move "$@" ;;
  netem) netem "$@" ;;
  reset) reset ;;
  *) die "usage: natlab.sh check|up|down|status|reset | nat cone|symmetric [a|b] | move a|b [--new-public] | netem a|b '<args>'|off" ;;
esac
