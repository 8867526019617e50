#!/usr/bin/env bash
# demo.sh — what `make demo` shows: a three-host cluster in network namespaces with a local NATS server,
# a client sending a UDP datagram to the VIP every millisecond, an election, a graceful handover and a
# host crash, each with the outage the client saw. Needs root; leaves nothing behind.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SC=${1:-$(cd "$ROOT" && swift build --show-bin-path)/swift-cluster}
source "$HERE/lib.sh"
[[ $EUID -eq 0 ]] || { echo "make demo needs root (network namespaces)" >&2; exit 2; }
[[ -x $SC ]] || { echo "no swift-cluster binary at $SC" >&2; exit 2; }
TTL_MS=3000
HEARTBEAT_MS=500
trap tb_down EXIT
export PATH="$(dirname "$SC"):$PATH"
SC=swift-cluster

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { printf '  $ %s\n' "$*"; "$@" 2>&1 | sed 's/^/    /'; }

# probe_start / probe_stop: the client probe in the background; probe_stop prints its JSON summary.
probe_start() { rm -f "$DIR/probe.stop" "$DIR/probe.json"; TB_STDOUT=$DIR/probe.json tb_spawn cl probe \
    python3 "$HERE/../testbed/udp_probe.py" "$VIP" --duration 0 --stop-file "$DIR/probe.stop" --quiet; sleep 0.3; }
probe_stop() { touch "$DIR/probe.stop"; wait_for 5000 test -s "$DIR/probe.json"; sleep 0.1; tb_stop probe; cat "$DIR/probe.json"; }
outage() { python3 - "$1" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
gap = s["longest_silence"]
dual = "none" if not s["dual"] else "%d (!)" % len(s["dual"])
print("  client saw: %d replies to %d datagrams; longest silence %.1f ms (%s -> %s); two hosts answering at once: %s"
      % (s["received"], s["sent"], gap["ms"] or 0, gap["before"], gap["after"], dual))
PY
}

say "1. A LAN in network namespaces (nothing outside them is touched)"
tb_up 3 >/dev/null || exit 1
DIR=$(tb_dir)
chmod 755 "$DIR"
echo "  sc-$SC_RUN-lan   the switch (bridge br0, 198.18.0.1) and the NATS server"
echo "  sc-$SC_RUN-n1..3 three hosts, eth0 198.18.0.11-13, each running the swift-cluster agent"
echo "  sc-$SC_RUN-cl    a client, 198.18.0.200, sending a datagram to the VIP $VIP every millisecond"
tb_nats_start >/dev/null || exit 1
echo "  nats-server (JetStream) listening on 198.18.0.1:4222"

say "2. Start the agent on each host (lease TTL 3 s, heartbeat 500 ms)"
for host in n1 n2 n3; do write_config "$host"; done
show cat "$DIR/n1.json"
show "$SC" check-config -c "$DIR/n1.json"
responders
for host in n1 n2 n3; do agent "$host"; done
has_one_holder() { one_holder >/dev/null; }
wait_for 10000 has_one_holder || { echo "no leader elected"; exit 1; }
L=$(one_holder)
echo "  elected: $L holds $VIP"
show tb_exec n1 "$SC" members -c "$DIR/n1.json"
show tb_exec "$L" ip -4 -brief addr show dev eth0
probe_start
sleep 1
outage "$(probe_stop)"

say "3. Graceful handover: the operator asks $L to step down"
probe_start
show tb_exec "$L" "$SC" demote -c "$DIR/$L.json"
wait_for 3000 holder_is_not "$L"
sleep 0.5
outage "$(probe_stop)"
L=$(one_holder)
echo "  $L holds the VIP now; its neighbours learnt its MAC from a gratuitous ARP:"
show tb_exec cl ip neigh show "$VIP"

say "4. Host crash: $L's agent is killed (SIGKILL) and its cable pulled"
probe_start
agent_kill "$L"
tb_isolate "$L"
echo "  waiting for the lease to expire (TTL 3 s)..."
reachable_holder() { local h; for h in $(holders); do [[ $h != "$L" ]] && return 0; done; return 1; }
wait_for 8000 reachable_holder
sleep 0.5
outage "$(probe_stop)"
N=$(holders | tr ' ' '\n' | grep -vx "$L" | head -1)
echo "  $N took over."
show tb_exec "$N" "$SC" status -c "$DIR/$N.json"

say "5. The crashed host comes back"
tb_exec "$L" ip addr flush dev eth0 scope global 2>/dev/null
tb_exec "$L" ip addr add "198.18.0.$((10 + ${L#n}))/24" dev eth0
tb_heal "$L"
agent "$L"
sleep 1.5
echo "  (its addresses were lost with the crash; the agent starts again and follows $N)"
show tb_exec n1 "$SC" members -c "$DIR/n1.json"
echo "  VIP holders now: [$(holders)]"

say "6. Clean up"
tb_down
echo "  namespaces, processes and files of run $SC_RUN removed"
say "Done. More: swift-cluster --help; Tests/e2e/agent_e2e.sh runs these steps and more as tests."
