#!/usr/bin/env bash
# chaos.sh — the fault-injection campaign of `make chaos` (issue #7, item 4): three hosts running the real
# swift-cluster agent on a namespace LAN (Tests/testbed), a client probing the VIP every millisecond for the
# whole campaign, and seeded, replayable random faults (kill -9, SIGSTOP past the TTL, host isolation, silent
# partition, NATS isolation, NATS restart, link flap, external VIP delete) while the invariants are checked:
# never two hosts answering for / holding the VIP, epochs never going back, one leader again within
# TTL + 1 s after every heal. Needs root. Leaves nothing behind but its report directory.
#
#   Tests/proof/chaos.sh [--seed N] [--faults N] [--minutes M] [--quick] [--nats-cluster] [--binary PATH]
#                        [--ttl-ms N --heartbeat-ms N] [--out DIR]
#
#   --seed N         random seed (default: random; printed, with the command line that replays it)
#   --faults N       faults to inject (default 200; --quick: 20)
#   --minutes M      time bound of the campaign; it stops injecting when the next round would not fit
#                    (default 40; --quick: 2.5)
#   --quick          the short version for `make check` (20 faults, about 1.5 minutes in all)
#   --nats-cluster   three nats-servers and an R3 bucket (`bucketReplicas: 3`); "NATS restart" then restarts
#                    one server of the cluster
#   --binary PATH    the swift-cluster binary (default: build it with `swift build --product swift-cluster`)
#   --ttl-ms N       the lease TTL (default 6000: the VIP is also a kernel lease); with --heartbeat-ms N
#   --heartbeat-ms N (default 1000). Below heartbeat + 4 s + margin the kernel lease is off and only the
#                    agent and its fence warden take a killed or paused agent's VIP away
#   --out DIR        where the report, the chaos log and every process log are kept
#                    (default: out/chaos-<run>; always kept, so a violation can be examined)
#
# Exit status: 0 when every invariant held, 1 on any violation, 2 when the set-up failed.
# See Tests/proof/CHAOS.md for what is checked and how to replay a seed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../testbed/testbed.sh
source "$ROOT/Tests/testbed/testbed.sh"

SEED="" FAULTS="" MINUTES="" QUICK=0 NATS_CLUSTER=0 SC="" OUT="" TTL_MS=6000 HEARTBEAT_MS=1000
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while (($#)); do
    case $1 in
        --seed) SEED=${2:?}; shift 2 ;;
        --faults) FAULTS=${2:?}; shift 2 ;;
        --minutes) MINUTES=${2:?}; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --nats-cluster) NATS_CLUSTER=1; shift ;;
        --ttl-ms) TTL_MS=${2:?}; shift 2 ;;
        --heartbeat-ms) HEARTBEAT_MS=${2:?}; shift 2 ;;
        --binary) SC=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "chaos: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
[[ -z $SEED ]] && SEED=$((RANDOM * 32768 + RANDOM))
[[ $SEED =~ ^[0-9]+$ ]] || { echo "chaos: --seed must be a number" >&2; exit 2; }
if ((QUICK)); then FAULTS=${FAULTS:-20}; MINUTES=${MINUTES:-2.5}; else FAULTS=${FAULTS:-200}; MINUTES=${MINUTES:-40}; fi
[[ $EUID -eq 0 ]] || { echo "chaos: needs root (network namespaces)" >&2; exit 2; }

if [[ -z $SC ]]; then
    (cd "$ROOT" && swift build --product swift-cluster >&2) || { echo "chaos: build failed" >&2; exit 2; }
    SC=$(cd "$ROOT" && swift build --show-bin-path)/swift-cluster
fi
[[ -x $SC ]] || { echo "chaos: no swift-cluster binary at $SC" >&2; exit 2; }
SC=$(cd "$(dirname "$SC")" && pwd)/$(basename "$SC")
PYTHON=${SC_PYTHON:-$ROOT/.venv/bin/python}
"$PYTHON" -c 'import nats' 2>/dev/null || { echo "chaos: $PYTHON cannot import nats (make py-deps)" >&2; exit 2; }

[[ $TTL_MS =~ ^[0-9]+$ && $HEARTBEAT_MS =~ ^[0-9]+$ ]] || { echo "chaos: --ttl-ms and --heartbeat-ms take milliseconds" >&2; exit 2; }
VIP=$TB_VIP4
CLUSTER=chaos

cleanup() {
    local f pid ns
    if [[ -n ${SC_RUN:-} && -d /tmp/sc-$SC_RUN ]]; then
        # A stopped agent would sit on SIGTERM until tb_stop's KILL: wake every agent first.
        for f in "/tmp/sc-$SC_RUN"/pids/agent-*; do
            [[ -e $f ]] || continue
            read -r pid ns <"$f"
            _tb_pid_in_ns "$pid" "$ns" && kill -CONT "$pid" 2>/dev/null
        done
        if [[ -n $OUT ]]; then
            mkdir -p "$OUT/log"
            cp -a "/tmp/sc-$SC_RUN"/log/. "$OUT/log/" 2>/dev/null
            cp -a "/tmp/sc-$SC_RUN"/*.json "/tmp/sc-$SC_RUN"/events "$OUT/" 2>/dev/null
        fi
        tb_down
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tb_up 3 >/dev/null || exit 2
DIR=$(tb_dir)
chmod 755 "$DIR"
OUT=${OUT:-$ROOT/out/chaos-$SC_RUN}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if ((NATS_CLUSTER)); then
    tb_nats_cluster_start >/dev/null || exit 2
    SERVERS='"nats://198.18.0.1:4222", "nats://198.18.0.1:4223", "nats://198.18.0.1:4224"'
    REPLICAS=', "bucketReplicas": 3'
else
    tb_nats_start >/dev/null || exit 2
    SERVERS='"nats://198.18.0.1:4222"'
    REPLICAS=''
fi
for host in $(tb_hosts); do
    cat >"$DIR/$host.json" <<JSON
{
  "clusterId": "$CLUSTER",
  "nodeId": "$host",
  "nats": { "servers": [$SERVERS], "reconnectWaitMs": 200$REPLICAS },
  "vip": { "address": "$VIP", "netmask": 24, "interface": "eth0" },
  "election": { "leaseTtlMs": $TTL_MS, "heartbeatIntervalMs": $HEARTBEAT_MS },
  "announce": { "count": 3, "intervalMs": 20 },
  "user": "nobody"
}
JSON
done
# The timers must be valid; whether the kernel lease applies goes into the report.
"$SC" check-config -c "$DIR/n1.json" >"$DIR/check-config.txt" 2>&1 || { cat "$DIR/check-config.txt" >&2; exit 2; }
KERNEL_LEASE=off
grep -q "^kernel lease: on" "$DIR/check-config.txt" && KERNEL_LEASE=on

# The kernel's own address events on every host (exact record of who held the VIP when), the responders,
# and the client probe for the whole campaign (marks for every fault come through the events file).
for host in $(tb_hosts); do tb_spawn "$host" "mon-$host" ip -n "$(tb_ns "$host")" -ts monitor address; done
for host in $(tb_hosts); do
    tb_spawn "$host" "resp-$host" python3 "$ROOT/Tests/testbed/udp_responder.py" "$host" --lifetime 3600
done
: >"$DIR/events"
TB_STDOUT=$DIR/probe.json tb_spawn cl probe python3 "$ROOT/Tests/testbed/udp_probe.py" "$VIP" --duration 0 \
    --stop-file "$DIR/probe.stop" --events "$DIR/events" --quiet

# The campaign itself runs in the lan namespace: it reaches the NATS servers over 127.0.0.1 there, also
# while they are cut off from the LAN, and drives everything else with `ip -n` / `ip netns exec`.
ARGS=(--seed "$SEED" --faults "$FAULTS" --minutes "$MINUTES" --binary "$SC" --run-dir "$DIR" --out "$OUT"
    --run "$SC_RUN" --ttl-ms "$TTL_MS" --heartbeat-ms "$HEARTBEAT_MS" --kernel-lease "$KERNEL_LEASE" --vip "$VIP"
    --cluster "$CLUSTER")
((QUICK)) && ARGS+=(--quick)
((NATS_CLUSTER)) && ARGS+=(--nats-cluster)
tb_exec lan "$PYTHON" "$HERE/chaos.py" "${ARGS[@]}" &
CAMPAIGN=$!
wait "$CAMPAIGN"
STATUS=$?
echo "chaos: report and logs in $OUT"
exit "$STATUS"
