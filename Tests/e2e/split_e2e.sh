#!/usr/bin/env bash
# split_e2e.sh — end-to-end test of the swift-cluster agent on the testbed's split layout (tb_up --split):
# NATS reached over IPv6 on the management network (eth0/br0, nats://[2001:db8:18::1]:4222), the VIP
# 198.18.0.100/24 on the IPv4 service network (eth1/br1), where the client is. Three hosts, the real binary,
# one local nats-server. Needs root. Usage:
#   Tests/e2e/split_e2e.sh [path/to/swift-cluster]
# Checks: election on eth1 only; demote (gratuitous ARP on eth1, client outage); the VIP interface down, then
# its cable unplugged (immediate step-down, stays out, eligible again); the management interface down, then
# silently partitioned (self-fencing, failover within TTL + 2 s, rejoin); never two holders (kernel address
# events), never a VIP on eth0. One line per check; exit 1 if any failed.
# Leaves nothing behind (trap on EXIT). About a minute.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SC=${1:-${SC_BIN:-$(cd "$ROOT" && swift build --show-bin-path)/swift-cluster}}
source "$HERE/lib.sh"
[[ -x $SC ]] || { echo "split_e2e: no swift-cluster binary at $SC" >&2; exit 2; }
[[ $EUID -eq 0 ]] || { echo "split_e2e: needs root" >&2; exit 2; }

TTL_MS=6000
HEARTBEAT_MS=1000
VIP_IF=eth1
NATS_URL="nats://[2001:db8:18::1]:4222"
HOSTS="n1 n2 n3"
cleanup() { tb_down; }
trap cleanup EXIT
tb_up --split 3 >/dev/null || exit 1
tb_nats_start >/dev/null || exit 1
DIR=$(tb_dir)
chmod 755 "$DIR"
phase() { echo "== $*"; }
mark() { echo "@$(date +%s.%N) $*" >>"$DIR/events"; }
elapsed() { echo $(($(now_ms) - $1)); }

[[ $(tb_nats_urls) == "$NATS_URL" ]] || { echo "split_e2e: unexpected NATS URL $(tb_nats_urls)" >&2; exit 1; }
for host in $HOSTS; do write_config "$host"; done

# The kernel's address events on every host (checked at the end by dual_check.py, and for eth0).
for host in $HOSTS; do tb_spawn "$host" "mon-$host" ip -n "$(tb_ns "$host")" -ts monitor address; done
sleep 0.2

# on_if HOST IF: HOST has the VIP on IF.
on_if() { tb_exec "$1" ip -o -4 addr show dev "$2" | grep -q " $VIP/"; }
# only_on_eth1 HOST: the VIP is on HOST's eth1 and not on its eth0.
only_on_eth1() { on_if "$1" eth1 && ! on_if "$1" eth0; }
# status_field HOST FIELD: one field of HOST's `status --json` (asked over NATS through HOST's config).
status_field() { local s; s=$(cli "$1" status --json 2>/dev/null) && json_field "$2" <<<"$s"; }
agree() {
    local host
    for host in $HOSTS; do [[ $(status_field "$host" leader) == "$1" ]] || return 1; done
}
eligible() { [[ $(status_field "$1" eligible) == true ]]; }
# out HOST: HOST says it is not eligible, names another leader, and holds no VIP.
out() {
    local s
    s=$(cli "$1" status --json 2>/dev/null) || return 1
    [[ $(json_field eligible <<<"$s") == false && $(json_field leader <<<"$s") != "$1" ]] && ! on_if "$1" eth1
}
not_on() { ! tb_vip_holders "$VIP" | grep -qx "$1"; }
# neigh_is HOST: the client's neighbour entry for the VIP is HOST's eth1 MAC.
neigh_is() { [[ $(tb_client_neigh "$VIP") == "$(tb_mac "$1" eth1)" ]]; }
# probe_start NAME / probe_stop NAME: the client probe in the background (JSON in $DIR/NAME.json).
probe_start() {
    TB_STDOUT=$DIR/$1.json tb_spawn cl "$1" python3 "$E2E_HERE/../testbed/udp_probe.py" "$VIP" --duration 60 \
        --events "$DIR/events" --quiet
    sleep 0.5
}
probe_stop() { tb_stop "$1" TERM; }
# probe_field NAME EXPR: a Python expression over the probe's summary `s`.
probe_field() { python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$DIR/$1.json" "$2"; }

phase "election (NATS over IPv6 on eth0, VIP on eth1)"
responders
for host in $HOSTS; do agent "$host"; done
has_one_holder() { one_holder >/dev/null; }
check "exactly one host takes the VIP" wait_for 15000 has_one_holder
L=$(one_holder)
check "$L has it on eth1, not on eth0" only_on_eth1 "${L:-none}"
check "every agent reports $L as leader (status --json over $NATS_URL)" wait_for 5000 agree "$L"
PROBE=$(probe_for 1)
check "the client on the service LAN reaches the VIP and only $L answers" python3 -c '
import json, sys; s = json.loads(sys.argv[1])
sys.exit(0 if s["received"] > 0 and set(s["per_host"]) == {sys.argv[2]} and not s["dual"] else 1)' "$PROBE" "$L"
check "the client's neighbour entry for the VIP is $L's eth1 MAC" neigh_is "$L"

phase "demote"
probe_start probe-demote
mark "demote $L"
T0=$(now_ms)
cli "$L" demote >/dev/null 2>&1
check "another host holds the VIP within 2 s" wait_for 2000 holder_is_not "$L"
echo "        (new holder seen after $(elapsed "$T0") ms)"
N=$(one_holder)
check "it is on ${N:-none}'s eth1 only" only_on_eth1 "${N:-none}"
check "the client's neighbour entry moved to ${N:-none}'s eth1 MAC (gratuitous ARP on eth1)" wait_for 1000 neigh_is "${N:-none}"
sleep 0.5
probe_stop probe-demote
OUT=$(probe_field probe-demote 's["longest_silence"]["ms"]')
check "client outage ${OUT} ms < 500 ms, one answerer change $L -> ${N:-none}, no dual answers" python3 -c '
import json, sys; s = json.load(open(sys.argv[1]))
ok = s["longest_silence"]["ms"] < 500 and [(c["from"], c["to"]) for c in s["changes"]] == [(sys.argv[2], sys.argv[3])]
sys.exit(0 if ok and not s["dual"] else 1)' "$DIR/probe-demote.json" "$L" "${N:-none}"
L=$N

phase "VIP interface (eth1) down on the leader $L, eth0 up"
probe_start probe-eth1
mark "eth1 down on $L"
T0=$(now_ms)
tb_link_down "$L" eth1
check "another host holds the VIP well before the TTL (< 1500 ms)" wait_for 1500 holder_is_not "$L"
echo "        (new holder seen after $(elapsed "$T0") ms, TTL $TTL_MS ms)"
N=$(one_holder)
check "$L says it is not eligible and not the leader, and holds no VIP" wait_for 2000 out "$L"
sleep 2
check "$L stays out while its eth1 is down (2 s later)" out "$L"
check "${N:-none} still holds the VIP" holder_is "${N:-none}"
probe_stop probe-eth1
echo "        (client outage $(probe_field probe-eth1 's["longest_silence"]["ms"]') ms)"
T0=$(now_ms)
tb_link_up "$L" eth1
check "after eth1 is back up, $L is eligible again" wait_for 3000 eligible "$L"
echo "        (eligible after $(elapsed "$T0") ms)"
check "and the VIP stayed on ${N:-none}" holder_is "${N:-none}"
L=$N

phase "service cable unplugged at the leader $L (bridge port of eth1 down: no carrier), eth0 up"
sleep 0.5
T0=$(now_ms)
tb_isolate "$L" eth1
check "another host holds the VIP well before the TTL (< 1500 ms)" wait_for 1500 holder_is_not "$L"
echo "        (new holder seen after $(elapsed "$T0") ms)"
N=$(one_holder)
check "$L says it is not eligible (no carrier) and holds no VIP" wait_for 2000 out "$L"
tb_heal "$L" eth1
check "after the cable is back, $L is eligible again" wait_for 3000 eligible "$L"
L=$N

phase "management interface (eth0) down on the leader $L, eth1 up"
sleep 1
T0=$(now_ms)
tb_link_down "$L" eth0
check "$L self-fences: its VIP goes away within the TTL" wait_for "$TTL_MS" not_on "$L"
GONE=$(elapsed "$T0")
check "another host holds the VIP within TTL + 2 s" wait_for $((TTL_MS + 2000)) holder_is_not "$L"
NEW=$(elapsed "$T0")
echo "        (VIP gone from $L after $GONE ms, new holder after $NEW ms, TTL $TTL_MS ms)"
check "the old VIP was gone before the new holder added one" test "$GONE" -lt "$NEW"
N=$(one_holder)
check "the new holder ${N:-none} has it on eth1 only" only_on_eth1 "${N:-none}"
tb_link_up "$L" eth0
T0=$(now_ms)
check "after eth0 is back, $L rejoins and reports ${N:-none} as leader" wait_for 10000 agree "${N:-none}"
echo "        (rejoined after $(elapsed "$T0") ms)"
check "the VIP stayed on ${N:-none}" holder_is "${N:-none}"
L=$N

phase "management network silently partitioned at the leader $L (eth0 frames dropped, carrier up)"
sleep 1
T0=$(now_ms)
tb_partition "$L" eth0
check "$L self-fences: its VIP goes away within the TTL" wait_for "$TTL_MS" not_on "$L"
GONE=$(elapsed "$T0")
check "another host holds the VIP within TTL + 2 s" wait_for $((TTL_MS + 2000)) holder_is_not "$L"
NEW=$(elapsed "$T0")
echo "        (VIP gone from $L after $GONE ms, new holder after $NEW ms, TTL $TTL_MS ms)"
check "the old VIP was gone before the new holder added one" test "$GONE" -lt "$NEW"
N=$(one_holder)
tb_unpartition "$L" eth0
T0=$(now_ms)
check "after the partition heals, $L rejoins and reports ${N:-none} as leader" wait_for 10000 agree "${N:-none}"
echo "        (rejoined after $(elapsed "$T0") ms)"
check "the VIP stayed on ${N:-none}" holder_is "${N:-none}"

phase "invariants"
MONITORS=$(for host in $HOSTS; do echo "$host=$DIR/log/mon-$host.log"; done)
# shellcheck disable=SC2086
DUAL=$(python3 "$HERE/dual_check.py" "$VIP" "$DIR/allowed" $MONITORS)
check "never two hosts held the VIP at once (kernel address events)" python3 -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if not s["overlaps"] and sum(s["holdings"].values()) >= 6 else 1)' "$DUAL"
echo "        ($DUAL)"
on_eth0_events() { cat "$DIR"/log/mon-*.log | grep -E " eth0 +inet $VIP/"; }
check "the VIP never appeared on any host's eth0 (kernel address events)" test -z "$(on_eth0_events)"
dead=$(for host in $HOSTS; do kill -0 "$(agent_pid "$host")" 2>/dev/null || echo "$host"; done)
check "every agent is still running" test -z "$dead"

echo "split e2e: $E2E_PASS passed, $E2E_FAIL failed"
((E2E_FAIL == 0))
