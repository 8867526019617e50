#!/usr/bin/env bash
# agent_e2e.sh — end-to-end tests of the swift-cluster agent: the real binary, three hosts and a client on a
# namespace LAN with a local nats-server (Tests/testbed). Needs root. Usage:
#   Tests/e2e/agent_e2e.sh [path/to/swift-cluster]
# Prints one line per check and exits non-zero if any failed. Leaves nothing behind (trap on EXIT).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SC=${1:-${SC_BIN:-$(cd "$ROOT" && swift build --show-bin-path)/swift-cluster}}
PYTHON=${SC_PYTHON:-$ROOT/.venv/bin/python}
source "$HERE/lib.sh"
[[ -x $SC ]] || { echo "agent_e2e: no swift-cluster binary at $SC" >&2; exit 2; }
[[ $EUID -eq 0 ]] || { echo "agent_e2e: needs root" >&2; exit 2; }

TTL_MS=6000
HEARTBEAT_MS=1000
VIP6=2001:db8:18::100
cleanup() { tb_down; }
trap cleanup EXIT
tb_up 3 >/dev/null || exit 1
tb_nats_start >/dev/null || exit 1
DIR=$(tb_dir)
chmod 755 "$DIR"
mkdir -m 1777 "$DIR/notify" "$DIR/flags"
echo start >"$DIR/phase"
phase() { echo "== $*"; echo "$*" >"$DIR/phase"; }

# Notify script: one file per (node, state) with the environment it got.
cat >"$DIR/notify.sh" <<'SH'
#!/bin/sh
env | grep -E '^(CLUSTER_ID|NODE_ID|ROLE|STATE|EPOCH|LEADER|VIPS)=' | sort >"$(dirname "$0")/notify/$NODE_ID-$STATE.env"
SH
chmod 755 "$DIR/notify.sh"
for host in n1 n2 n3; do
    write_config "$host" "\"notify\": { \"master\": \"$DIR/notify.sh\", \"backup\": \"$DIR/notify.sh\", \"fault\": \"$DIR/notify.sh\", \"timeoutMs\": 2000 },
  \"healthChecks\": [ { \"name\": \"flag\", \"command\": [\"/bin/sh\", \"-c\", \"test ! -e $DIR/flags/fail-$host\"], \"intervalMs\": 200, \"timeoutMs\": 150, \"fall\": 2, \"rise\": 2 } ]"
done

# The kernel's own address events on every host, with microsecond timestamps: the exact record of who
# held the VIP when (checked at the end by dual_check.py). Windows where a test adds a second holder on
# purpose are bracketed in $DIR/allowed.
for host in n1 n2 n3; do tb_spawn "$host" "mon-$host" ip -n "$(tb_ns "$host")" -ts monitor address; done
allow_dual() { echo "$(date +%Y-%m-%dT%H:%M:%S.%6N) $1" >>"$DIR/allowed"; }
sleep 0.2

phase "election"
responders
for host in n1 n2 n3; do agent "$host"; done
has_one_holder() { one_holder >/dev/null; }
check "exactly one host takes the VIP" wait_for 10000 has_one_holder
L=$(one_holder)
agree() {
    local host leader
    for host in n1 n2 n3; do
        leader=$(cli "$host" status --json 2>/dev/null | json_field leader) || return 1
        [[ $leader == "$L" ]] || return 1
    done
}
check "every daemon reports $L as leader" wait_for 3000 agree
PROBE=$(probe_for 1)
check "the client reaches the VIP and only $L answers" python3 -c '
import json, sys; s = json.loads(sys.argv[1]); hosts = set(s["per_host"])
sys.exit(0 if s["received"] > 0 and hosts == {sys.argv[2]} and not s["dual"] else 1)' "$PROBE" "$L"
holds_v6() { tb_vip_holders "$VIP6" | grep -qx "$1" && [[ $(tb_vip_holders "$VIP6" | wc -l) == 1 ]]; }
check "the leader also holds the IPv6 VIP, and only it" wait_for 2000 holds_v6 "$L"
PROBE6=$(tb_exec cl python3 "$E2E_HERE/../testbed/udp_probe.py" "$VIP6" --duration 0.5 --quiet)
check "the client reaches the IPv6 VIP on $L" python3 -c '
import json, sys; s = json.loads(sys.argv[1]); sys.exit(0 if s["received"] > 0 and set(s["per_host"]) == {sys.argv[2]} else 1)' "$PROBE6" "$L"
MEMBERS=$(cli n1 members --json 2>/dev/null)
check "members lists the three running nodes" python3 -c '
import json, sys; m = json.loads(sys.argv[1]); sys.exit(0 if sorted(n["nodeId"] for n in m) == ["n1", "n2", "n3"] else 1)' "$MEMBERS"

phase "privileges"
caps_ok() {
    local pid=$1 t
    grep -q "^Uid:[[:space:]]*65534" "/proc/$pid/status" || return 1
    for t in /proc/"$pid"/task/*; do
        grep -q "^CapEff:[[:space:]]*0000000000003000$" "$t/status" || return 1
        grep -q "^CapPrm:[[:space:]]*0000000000003000$" "$t/status" || return 1
        grep -q "^CapAmb:[[:space:]]*0000000000000000$" "$t/status" || return 1
    done
}
check "the leader's daemon runs as nobody with exactly CAP_NET_ADMIN+CAP_NET_RAW on every thread" caps_ok "$(agent_pid "$L")"
check "so does its fence warden (sc-fence), forked after the drop" caps_ok "$(warden_pid "$L")"

phase "notify scripts"
notify_env_ok() {
    local f=$DIR/notify/$L-MASTER.env
    [[ -e $f ]] && grep -qx "CLUSTER_ID=$CLUSTER" "$f" && grep -qx "NODE_ID=$L" "$f" && grep -qx "ROLE=PRIMARY" "$f" \
        && grep -qx "LEADER=$L" "$f" && grep -qx "VIPS=$VIP/24 $VIP6/64" "$f" && grep -qE '^EPOCH=[1-9][0-9]*$' "$f"
}
check "the leader's master script ran with CLUSTER_ID, NODE_ID, ROLE, EPOCH, LEADER, VIPS" wait_for 3000 notify_env_ok
F=$(for h in n1 n2 n3; do [[ $h != "$L" ]] && echo "$h"; done | head -1)
check "a follower's backup script ran" wait_for 3000 test -e "$DIR/notify/$F-BACKUP.env"

phase "stepdown, promote, transfer"
T0=$(now_ms)
cli "$L" demote >/dev/null 2>&1
check "demote through the CLI moves the VIP away from $L" wait_for 3000 holder_is_not "$L"
echo "        (handover seen after $(($(now_ms) - T0)) ms)"
L=$(one_holder)
raw_stepdown() {
    tb_exec cl "$PYTHON" - "$L" <<'PY'
import asyncio, json, sys
import nats
async def main():
    nc = await nats.connect("nats://198.18.0.1:4222")
    reply = await nc.request(f"cluster_demo.control.{sys.argv[1]}.stepdown", b"", timeout=2)
    await nc.close()
    sys.exit(0 if json.loads(reply.data)["ok"] else 1)
asyncio.run(main())
PY
}
check "a raw NATS stepdown request (nats-py) is accepted" raw_stepdown
check "and moves the VIP away from $L" wait_for 3000 holder_is_not "$L"
L=$(one_holder)
T=$(for h in n1 n2 n3; do [[ $h != "$L" ]] && echo "$h"; done | tail -1)
promote_quietly() { cli "$L" promote --node "$1" >/dev/null; }
check "promote --node $T succeeds" promote_quietly "$T"
check "the VIP is on $T" wait_for 2000 holder_is "$T"
L=$T

phase "VIP deleted behind the agent's back"
tb_exec "$L" ip addr del "$VIP/24" dev eth0
check "the leader restores its VIP" wait_for 2000 holder_is "$L"

phase "SIGTERM of the leader's agent"
T0=$(now_ms)
agent_stop "$L" TERM
check "another host takes the VIP at once (graceful handover)" wait_for 2000 holder_is_not "$L"
echo "        (seen after $(($(now_ms) - T0)) ms)"
agent "$L"
sleep 0.5

phase "SIGKILL of the leader's agent (the host stays on the LAN)"
L=$(one_holder)
# The fence warden would remove the VIP at once: stopped here, it leaves the kernel lease alone to act.
W=$(warden_pid "$L")
kill -STOP "$W"
T0=$(now_ms)
agent_kill "$L"
not_on() { ! tb_vip_holders "$VIP" | grep -qx "$1"; }
check "the kernel removes the dead agent's VIP (kernel lease; fence warden stopped)" wait_for $((TTL_MS + 1000)) not_on "$L"
GONE=$(($(now_ms) - T0))
check "then another host takes it" wait_for $((TTL_MS + 2000)) holder_is_not "$L"
NEW=$(($(now_ms) - T0))
echo "        (VIP gone from $L after $GONE ms, new holder after $NEW ms, TTL $TTL_MS ms)"
check "the old VIP was gone before the new leader added one" test "$GONE" -lt "$NEW"
v6_not_on() { ! tb_vip_holders "$VIP6" | grep -qx "$1"; }
check "the kernel removes the IPv6 VIP too" wait_for $((TTL_MS + 1000)) v6_not_on "$L"
kill -CONT "$W"
check "the continued warden finds its agent gone, removes nothing more and exits" wait_for 2000 pid_gone "$W"
check "and says so" grep -q "swift-cluster fence: the dead agent's leadership deadline passed: removed the VIPs (0 removed, 2 already gone)" "$DIR/log/agent-$L.log"

phase "stale VIP at start"
allow_dual start
tb_vip_add "$L" "$VIP"
agent "$L"
check "a restarted agent removes the VIP it does not own" wait_for 3000 not_on "$L"
allow_dual end

phase "health check"
L=$(one_holder)
touch "$DIR/flags/fail-$L"
check "a failing health check moves the VIP away from $L" wait_for 3000 holder_is_not "$L"
not_eligible() { [[ $(cli "$1" status --json 2>/dev/null | json_field eligible) == false ]]; }
check "status of $L says not eligible" not_eligible "$L"
check "its fault script ran" wait_for 2000 test -e "$DIR/notify/$L-FAULT.env"
rm -f "$DIR/flags/fail-$L"
eligible() { [[ $(cli "$1" status --json 2>/dev/null | json_field eligible) == true ]]; }
check "after it recovers $L is eligible again" wait_for 3000 eligible "$L"

phase "maintenance"
L=$(one_holder)
cli "$L" maintenance on --reason "e2e test" >/dev/null 2>&1
check "maintenance on moves the VIP away from $L" wait_for 3000 holder_is_not "$L"
cli "$L" maintenance off >/dev/null 2>&1
check "maintenance off makes $L eligible again" wait_for 3000 eligible "$L"

phase "link down on the leader"
L=$(one_holder)
tb_link_down "$L"
check "the VIP moves to another host" wait_for $((TTL_MS + 2000)) holder_is_not "$L"
tb_link_up "$L"

phase "SIGKILL of the agent and the host cut off"
sleep 1
L=$(one_holder)
T0=$(now_ms)
agent_kill "$L"
tb_isolate "$L"
check "another host takes the VIP after the TTL" wait_for $((TTL_MS + 2000)) holder_is_not "$L"
NEW=$(($(now_ms) - T0))
echo "        (new holder after $NEW ms, TTL $TTL_MS ms)"
check "not before the lease could have expired" test "$NEW" -ge $((TTL_MS - HEARTBEAT_MS - 700))
tb_heal "$L"

phase "service manager, logs, metrics, reload"
agent_stop n1 TERM
write_config n1 '"metrics": { "listen": "127.0.0.1:9464" }'
tb_spawn n1 sd-listener python3 -c '
import os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(sys.argv[2], "a") as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " ") + "\n")
        log.flush()
' "$DIR/sd.sock" "$DIR/sd.log"
wait_for 2000 test -S "$DIR/sd.sock"
tb_spawn n1 agent-n1 env NOTIFY_SOCKET="$DIR/sd.sock" WATCHDOG_USEC=400000 JOURNAL_STREAM=8:1 "$SC" daemon -c "$DIR/n1.json"
check "sd_notify: READY=1 once joined" wait_for 5000 grep -q "READY=1" "$DIR/sd.log"
check "sd_notify: STATUS= with role, leader and epoch" wait_for 2000 grep -qE "STATUS=(PRIMARY|PASSIVE); leader n[0-9], epoch [0-9]+" "$DIR/sd.log"
watchdogs() { (($(grep -c "WATCHDOG=1" "$DIR/sd.log") >= 3)); }
check "sd_notify: WATCHDOG=1 every half WATCHDOG_USEC" wait_for 3000 watchdogs
check "under systemd (JOURNAL_STREAM) log lines carry a syslog priority" grep -qE "^<[0-7]>" "$DIR/log/agent-n1.log"
metrics() {
    tb_exec n1 python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9464/metrics", timeout=2).read().decode())' 2>/dev/null
}
metrics_ok() { local m; m=$(metrics) && [[ $m == *"swift_cluster_leader "* && $m == *"swift_cluster_epoch "* && $m == *"swift_cluster_nats_connected 1"* ]]; }
check "the metrics endpoint serves role, epoch and NATS state" wait_for 3000 metrics_ok
write_config n1 '"metrics": { "listen": "127.0.0.1:9464" }, "trackInterfaces": ["dummy9"]'
kill -HUP "$(agent_pid n1)"
check "SIGHUP applies trackInterfaces: a missing tracked interface makes n1 not eligible" wait_for 3000 not_eligible n1
write_config n1 '"metrics": { "listen": "127.0.0.1:9464" }'
kill -HUP "$(agent_pid n1)"
check "and removing it again makes n1 eligible" wait_for 3000 eligible n1
check "SIGHUP says what needs a restart" grep -q "reloaded" "$DIR/log/agent-n1.log"
check "shell completions for bash, zsh and fish" bash -c "'$SC' --generate-completion-script bash | grep -q swift-cluster && '$SC' --generate-completion-script zsh | grep -q swift-cluster && '$SC' --generate-completion-script fish | grep -q swift-cluster"

phase "short lease: SIGKILL of the leader's agent (kernel lease off, the fence warden acts)"
fence_lines() { cat "$DIR"/log/agent-n*.log | grep -c "swift-cluster fence:"; }
FENCE_LINES=$(fence_lines)
for host in n1 n2 n3; do agent_stop "$host" TERM; done
check "a stopped agent's warden exits with it" wait_for 2000 no_wardens
check "and does nothing (disarmed before the agent exited)" test "$(fence_lines)" == "$FENCE_LINES"
TTL_MS=1000
HEARTBEAT_MS=250
for host in n1 n2 n3; do write_config "$host"; agent "$host"; done
check "exactly one host takes the VIP" wait_for 10000 has_one_holder
L=$(one_holder)
check "the kernel lease is off at TTL 1 s / heartbeat 250 ms" grep -q "kernel lease off" "$DIR/log/agent-$L.log"
W=$(warden_pid "$L")
check "the leader's agent runs a fence warden" test -n "$W"
FENCE_LINES=$(fence_lines)
sleep 2
check "renewals keep it armed: the VIP stays on $L for 2 s (8 heartbeats)" holder_is "$L"
check "and the warden never fired meanwhile" test "$(fence_lines)" == "$FENCE_LINES"
T0=$(now_ms)
agent_kill "$L"
sleep 0.1
check "the killed agent's VIP keeps serving until its leadership deadline (still on $L 100 ms later)" holder_is "$L"
check "the warden removes it by the deadline (within the TTL)" wait_for "$TTL_MS" not_on "$L"
GONE=$(($(now_ms) - T0))
check "then another host takes it" wait_for $((TTL_MS + 3000)) holder_is_not "$L"
NEW=$(($(now_ms) - T0))
echo "        (VIP gone from $L after $GONE ms, new holder after $NEW ms, TTL $TTL_MS ms)"
check "the old VIP was gone before the new leader added one" test "$GONE" -lt "$NEW"
check "the IPv6 VIP is gone from $L too" v6_not_on "$L"
warden_said() {
    (($(fence_lines) == FENCE_LINES + 2)) && grep "swift-cluster fence:" "$DIR/log/agent-$L.log" | tail -n 2 \
        | grep -q "the agent is gone while holding the VIPs: they stay until its leadership deadline" &&
        grep "swift-cluster fence:" "$DIR/log/agent-$L.log" | tail -n 1 \
        | grep -q "the dead agent's leadership deadline passed: removed the VIPs (2 removed, 0 already gone)"
}
check "the warden logged the removal of both VIPs" warden_said
check "the warden exits after its agent died (EOF)" wait_for 1000 pid_gone "$W"
agent "$L"
sleep 1

phase "short lease: SIGSTOP of the leader's agent (the fence warden acts at its deadline)"
L=$(one_holder)
W=$(warden_pid "$L")
FENCE_LINES=$(fence_lines)
T0=$(now_ms)
kill -STOP "$(agent_pid "$L")"
check "the warden removes the stopped agent's VIP by its self-fencing deadline" wait_for $((TTL_MS + 300)) not_on "$L"
GONE=$(($(now_ms) - T0))
check "then another host takes it" wait_for $((TTL_MS + 3000)) holder_is_not "$L"
NEW=$(($(now_ms) - T0))
echo "        (VIP gone from $L after $GONE ms, new holder after $NEW ms, TTL $TTL_MS ms)"
check "the old VIP was gone before the new leader added one" test "$GONE" -lt "$NEW"
deadline_said() {
    (($(fence_lines) == FENCE_LINES + 1)) && grep "swift-cluster fence:" "$DIR/log/agent-$L.log" | tail -n 1 \
        | grep -q "leadership deadline passed without renewal: removed the VIPs (2 removed, 0 already gone)"
}
check "the warden logged it" deadline_said
check "and keeps waiting for its (stopped) agent" test -d "/proc/$W"
N=$(one_holder)
kill -CONT "$(agent_pid "$L")"
sleep 1
check "woken, $L does not take the VIP back: $N still holds it alone" holder_is "$N"
check "the warden stayed quiet since" test "$(fence_lines)" == $((FENCE_LINES + 1))

phase "bad configurations"
bad() {
    local name=$1 text=$2 expect=$3 out status
    printf '%s' "$text" >"$DIR/bad-$name.json"
    out=$("$SC" daemon -c "$DIR/bad-$name.json" 2>&1)
    status=$?
    if [[ $status == 78 && $out == *"$expect"* ]]; then pass "bad config ($name) exits 78 naming $expect"; else
        fail "bad config ($name): exit $status, output: $out"; fi
}
base='"clusterId": "c", "nats": { "servers": ["nats://198.18.0.1:4222"] }'
bad unknown-key "{ $base, \"election\": { \"leaseTTLMs\": 1000 } }" "election.leaseTTLMs"
bad wrong-type "{ $base, \"election\": { \"leaseTtlMs\": \"10s\" } }" "election.leaseTtlMs"
bad bad-address "{ $base, \"vip\": { \"address\": \"198.18.0.300\", \"interface\": \"eth0\" } }" "vip.address"
bad missing-key '{ "nats": { "servers": ["nats://198.18.0.1:4222"] } }' "clusterId"
bad not-json '{ "clusterId": "c", ' "JSON"
bad heartbeat "{ $base, \"election\": { \"leaseTtlMs\": 1000, \"heartbeatIntervalMs\": 1000 } }" "heartbeat"
bad health "{ $base, \"healthChecks\": [ { \"name\": \"x\", \"command\": [\"curl\"] } ] }" "healthChecks[0].command[0]"

phase "invariants"
MONITORS=$(for host in n1 n2 n3; do echo "$host=$DIR/log/mon-$host.log"; done)
# shellcheck disable=SC2086
DUAL=$(python3 "$HERE/dual_check.py" "$VIP" "$DIR/allowed" $MONITORS)
check "never two hosts held the VIP at once (kernel address events)" python3 -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if not s["overlaps"] and sum(s["holdings"].values()) >= 8 else 1)' "$DUAL"
echo "        ($DUAL)"
# shellcheck disable=SC2086
DUAL6=$(python3 "$HERE/dual_check.py" "$VIP6" "$DIR/allowed" $MONITORS)
check "never two hosts held the IPv6 VIP at once" python3 -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if not s["overlaps"] and sum(s["holdings"].values()) >= 8 else 1)' "$DUAL6"
echo "        ($DUAL6)"

echo "agent e2e: $E2E_PASS passed, $E2E_FAIL failed"
((E2E_FAIL == 0))
