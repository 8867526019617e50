#!/usr/bin/env bash
# selftest.sh — proves the testbed works on this machine (needs root, nats-server, arping, python3).
#
# Usage: sudo Tests/testbed/selftest.sh          (exit 0 = every check passed; ~30 s)
#
# It runs the probe's analysis unit tests (test_udp_probe.py), builds a fresh 3-host run, then checks:
#   1. NATS: one JetStream server in the lan namespace; n1 connects to 198.18.0.1:4222 and reads INFO;
#      tb_nats_isolate makes that connect fail, tb_nats_heal makes it work again; then a three-server
#      cluster (4222-4224) elects a JetStream meta leader, n2 reads INFO from 198.18.0.1:4223, and n1
#      creates an R3 KV-style stream (raw NATS protocol) through 198.18.0.1:4224.
#   2. IPv4 VIP moved by hand: 198.18.0.100/24 on n1, responders on n1..n3, the probe in the client;
#      after ~2 s the VIP is deleted on n1, added on n2 and announced by a gratuitous ARP from n2.
#      The probe must see n1 then n2, exactly one answerer change, a bounded silence, no dual answers,
#      and the client's neighbour table must hold n2's MAC for the VIP.
#   3. The same for the IPv6 VIP 2001:db8:18::100/64, moved from n2 to n3 with an unsolicited NA.
#   4. tb_vip_holders names exactly the expected host at each step.
#   5. The dual detector fires: the VIP on n1 and n2 at once, announced alternately, shows up in the
#      probe's "dual" list (and tb_vip_holders prints both); a SIGUSR1 mark is recorded.
#   6. Faults: tb_isolate/tb_heal, tb_partition/tb_unpartition, tb_link_down/tb_link_up on n1, seen by ping.
#   7. After tb_down: no sc-RUN-* namespace, no run directory, no process the run started.
#   8. The split layout (tb_up --split 3): addresses per network, NATS over IPv6 from the hosts' eth0 only,
#      the IPv4 VIP moved by hand on eth1, tb_isolate/tb_link_down per interface, then 7. again.
# Measured silences are printed; the probes' JSON summaries are printed on failure.

set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=testbed.sh
source "$here/testbed.sh"

# Bounds on the hand move's client-observed outage. The move is three separate processes (ip, ip, arping
# or the Python NA helper), so the bound is loose; the measured value is printed.
MAX_SILENCE_MS=${MAX_SILENCE_MS:-500}
MAX_SILENCE6_MS=${MAX_SILENCE6_MS:-1000}
unset SC_RUN
work=$(mktemp -d /tmp/sc-selftest.XXXXXX)

fail() {
    echo "selftest: FAIL: $*" >&2
    exit 1
}
pass() { echo "selftest: ok: $*"; }

cleanup() {
    [[ -n ${SC_RUN:-} ]] && tb_down
    rm -rf "$work"
}
trap cleanup EXIT

preflight() {
    [[ $EUID -eq 0 ]] || fail "needs root"
    local tool
    for tool in ip bridge nats-server arping curl python3 ss; do
        command -v "$tool" >/dev/null || fail "missing tool: $tool"
    done
}

# nats_info HOST PORT: connect from HOST to 198.18.0.1:PORT within 2 s and print the INFO line's start.
nats_info() {
    tb_exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/198.18.0.1/$2 && head -c 4 <&3" 2>/dev/null
}

# js_create_r3 HOST PORT: from HOST, create an R3 KV-style stream over the raw NATS protocol; prints
# "leader=<server> replicas=<n>" or the server's error.
js_create_r3() {
    tb_exec "$1" timeout 10 python3 - "$2" <<'EOF'
import json, socket, sys
s = socket.create_connection(("198.18.0.1", int(sys.argv[1])), timeout=8)
f = s.makefile("rb")
f.readline()  # INFO
cfg = {"name": "KV_selftest", "subjects": ["$KV.selftest.>"], "num_replicas": 3, "max_msgs_per_subject": 1,
       "storage": "file", "allow_rollup_hdrs": True, "deny_delete": True}
body = json.dumps(cfg).encode()
s.sendall(b'CONNECT {"verbose":false,"headers":true}\r\nSUB _INBOX.st 1\r\n'
          + b"PUB $JS.API.STREAM.CREATE.KV_selftest _INBOX.st %d\r\n" % len(body) + body + b"\r\n")
while True:
    line = f.readline()
    if line.startswith(b"PING"):
        s.sendall(b"PONG\r\n")
    elif line.startswith(b"MSG"):
        reply = json.loads(f.read(int(line.split()[-1]) + 2))
        break
    elif not line or line.startswith(b"-ERR"):
        sys.exit(f"no reply: {line!r}")
if "error" in reply:
    sys.exit(f"error: {reply['error']}")
cluster = reply.get("cluster", {})
print(f"leader={cluster.get('leader')} replicas={1 + len(cluster.get('replicas', []))}")
EOF
}

check_nats() {
    tb_nats_start || fail "nats-server did not become healthy"
    [[ $(nats_info n1 4222) == INFO ]] || fail "n1 could not connect to 198.18.0.1:4222"
    pass "n1 connects to NATS at 198.18.0.1:4222"
    tb_nats_isolate
    [[ -z $(nats_info n1 4222) ]] || fail "n1 still reaches NATS while it is isolated"
    tb_nats_heal
    [[ $(nats_info n1 4222) == INFO ]] || fail "n1 cannot reach NATS after tb_nats_heal"
    pass "tb_nats_isolate cuts NATS off, tb_nats_heal restores it"
    tb_nats_stop
    local t0=$SECONDS
    tb_nats_cluster_start || fail "NATS cluster did not elect a JetStream meta leader"
    [[ $(nats_info n2 4223) == INFO ]] || fail "n2 could not connect to 198.18.0.1:4223"
    pass "3-server NATS cluster up with a meta leader in $((SECONDS - t0)) s; n2 connects to :4223"
    local r3
    r3=$(js_create_r3 n1 4224) || fail "could not create an R3 stream: $r3"
    [[ $r3 == *replicas=3 ]] || fail "R3 stream has the wrong replica count: $r3"
    pass "R3 KV-style stream created from n1 via :4224 ($r3)"
    tb_nats_stop
}

start_responders() {
    local h deadline
    for h in $(tb_hosts); do
        tb_spawn "$h" "resp-$h" python3 "$here/udp_responder.py" "$h" --lifetime 120 || fail "responder on $h"
    done
    for h in $(tb_hosts); do
        deadline=$((SECONDS + 5))
        until [[ -n $(tb_exec "$h" ss -Hlun 'sport = :7000') ]]; do
            ((SECONDS < deadline)) || fail "responder on $h not listening after 5 s"
            sleep 0.05
        done
    done
    pass "responders listening on $(tb_hosts | tr '\n' ' ')"
}

# expect_holders ADDR HOSTS: tb_vip_holders must print exactly HOSTS (space separated).
expect_holders() {
    local got
    got=$(tb_vip_holders "$1" | tr '\n' ' ' | sed 's/ $//')
    [[ $got == "$2" ]] || fail "tb_vip_holders $1: expected '$2', got '$got'"
}

# move_vip ADDR FROM TO: probe the VIP while moving it by hand; check the probe's summary.
move_vip() {
    local vip=$1 from=$2 to=$3 name="probe-${1//[:.]/-}" out="$work/probe-${1//[:.]/-}.json"
    local events="$work/events-$name" bound=$MAX_SILENCE_MS
    [[ $vip == *:* ]] && bound=$MAX_SILENCE6_MS
    tb_vip_add "$from" "$vip" || fail "could not add $vip on $from"
    tb_announce "$from" "$vip" || fail "announce $vip from $from"
    expect_holders "$vip" "$from"
    TB_STDOUT=$out tb_spawn cl "$name" python3 "$here/udp_probe.py" "$vip" --duration 30 --events "$events" \
        || fail "probe did not start"
    sleep 2
    echo "@$(date +%s.%N) move $from -> $to" >>"$events"
    tb_vip_del "$from" "$vip" || fail "could not delete $vip on $from"
    tb_vip_add "$to" "$vip" || fail "could not add $vip on $to"
    tb_announce "$to" "$vip" || fail "announce $vip from $to"
    echo "@$(date +%s.%N) announced on $to" >>"$events"
    expect_holders "$vip" "$to"
    sleep 1.5
    [[ $(tb_client_neigh "$vip") == "$(tb_mac "$to")" ]] \
        || fail "client's neighbour entry for $vip is '$(tb_client_neigh "$vip")', not $to's MAC $(tb_mac "$to")"
    tb_stop "$name" TERM
    python3 - "$out" "$from" "$to" "$bound" <<'EOF' || { cat "$out" >&2; fail "probe checks for $vip"; }
import json, sys
path, old, new, bound = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
s = json.load(open(path))
problems = []
if s["per_host"].get(old, 0) < 100: problems.append(f"{old} answered only {s['per_host'].get(old, 0)} times")
if s["per_host"].get(new, 0) < 100: problems.append(f"{new} answered only {s['per_host'].get(new, 0)} times")
if set(s["per_host"]) - {old, new}: problems.append(f"unexpected answerers {s['per_host']}")
if [(c["from"], c["to"]) for c in s["changes"]] != [(old, new)]: problems.append(f"changes {s['changes']}")
if s["dual"]: problems.append(f"dual answers {s['dual'][:5]}")
l = s["longest_silence"]
if not l or (l["before"], l["after"]) != (old, new): problems.append(f"longest silence not at the move: {l}")
elif l["ms"] > bound: problems.append(f"silence {l['ms']} ms > {bound} ms")
if s["trailing_silence_ms"] is None or s["trailing_silence_ms"] > 100: problems.append("no replies at the end")
for p in problems: print("selftest:   " + p, file=sys.stderr)
if problems: sys.exit(1)
move, done = (s["marks"][0]["t_ms"], s["marks"][1]["t_ms"]) if len(s["marks"]) == 2 else (None, None)
print(f"selftest: ok: {s['target']} moved {old} -> {new}: silence {l['ms']} ms "
      f"({l['start_ms']} -> {l['end_ms']} ms; by hand: del at {move} ms, announce done at {done} ms), sent {s['sent']} "
      f"received {s['received']} lost {s['lost']}, rtt p50 {s['rtt_ms']['p50']} ms p99 {s['rtt_ms']['p99']} ms, "
      f"changes {len(s['changes'])}, dual {len(s['dual'])}")
EOF
    tb_vip_del "$to" "$vip"
    expect_holders "$vip" ""
}

# reachable FROM ADDR: one ping answered within 1 s.
reachable() { tb_exec "$1" ping -q -c 1 -W 1 "$2" >/dev/null 2>&1; }
# reachable_soon FROM ADDR: answered within 3 s (a port that just came up may need a moment).
reachable_soon() {
    local deadline=$((SECONDS + 3))
    until reachable "$1" "$2"; do ((SECONDS < deadline)) || return 1; done
}

check_faults() {
    reachable cl 198.18.0.11 || fail "client cannot ping n1 before any fault"
    tb_isolate n1
    reachable cl 198.18.0.11 && fail "n1 still reachable after tb_isolate"
    tb_exec n1 ip link show eth0 | grep -q NO-CARRIER || fail "n1's eth0 should lose carrier when isolated"
    tb_heal n1
    reachable_soon cl 198.18.0.11 || fail "n1 unreachable after tb_heal"
    pass "tb_isolate/tb_heal n1 (n1's eth0 loses carrier while isolated)"
    tb_partition n1
    reachable cl 198.18.0.11 && fail "n1 still reachable after tb_partition"
    tb_exec n1 ip link show eth0 | grep -q LOWER_UP || fail "n1's eth0 should keep carrier when partitioned"
    tb_unpartition n1
    reachable_soon cl 198.18.0.11 || fail "n1 unreachable after tb_unpartition"
    pass "tb_partition/tb_unpartition n1 (carrier stays up)"
    tb_link_down n1
    reachable cl 198.18.0.11 && fail "n1 still reachable after tb_link_down"
    tb_link_up n1
    reachable_soon cl 198.18.0.11 || fail "n1 unreachable over IPv4 after tb_link_up"
    reachable_soon cl 2001:db8:18::11 || fail "n1 unreachable over IPv6 after tb_link_up"
    pass "tb_link_down/tb_link_up n1 (IPv4 and IPv6 back)"
}

# check_dual_detector: the VIP on n1 and n2 at once, announced alternately; the probe must report
# dual answers, tb_vip_holders both hosts, and a SIGUSR1 mark must show up.
check_dual_detector() {
    local vip=198.18.0.100 out="$work/probe-dual.json" pid
    tb_vip_add n1 "$vip" && tb_vip_add n2 "$vip" || fail "could not add $vip on n1 and n2"
    expect_holders "$vip" "n1 n2"
    tb_announce n1 "$vip"
    TB_STDOUT=$out tb_spawn cl probe-dual python3 "$here/udp_probe.py" "$vip" --duration 30 || fail "probe"
    pid=$(tb_pid probe-dual)
    sleep 0.6
    kill -USR1 "$pid"
    tb_announce n2 "$vip"
    sleep 0.3
    tb_announce n1 "$vip"
    sleep 0.3
    tb_announce n2 "$vip"
    sleep 0.3
    tb_stop probe-dual TERM
    tb_vip_del n1 "$vip" && tb_vip_del n2 "$vip"
    python3 - "$out" <<'EOF' || { cat "$out" >&2; fail "dual-holder detection"; }
import json, sys
s = json.load(open(sys.argv[1]))
kinds = sorted({d["kind"] for d in s["dual"]})
marks = [m["label"] for m in s["marks"]]
ok = kinds and marks == ["SIGUSR1 #1"] and len(s["changes"]) >= 2
print(f"selftest: {'ok' if ok else 'FAIL'}: two holders announced alternately: changes "
      f"{[(c['from'], c['to']) for c in s['changes']]}, dual kinds {kinds} ({len(s['dual'])} entries), marks {marks}")
sys.exit(0 if ok else 1)
EOF
}

check_teardown() {
    local run=$SC_RUN dir pids
    dir=$(tb_dir)
    pids=$(cat "$dir"/pids/* 2>/dev/null | cut -d' ' -f1)
    tb_down || fail "tb_down failed"
    tb_down || fail "second tb_down failed"
    unset SC_RUN
    ! ip netns list | grep -q "^sc-$run-" || fail "namespaces left behind: $(ip netns list | grep "^sc-$run-")"
    [[ ! -e $dir ]] || fail "run directory $dir left behind"
    local pid
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && fail "process $pid still running"; done
    pass "teardown removed every sc-$run-* namespace, the run dir and the run's processes"
}

# nats_info6 HOST PORT: like nats_info, to [2001:db8:18::1]:PORT (the split layout's NATS).
nats_info6() {
    tb_exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/2001:db8:18::1/$2 && head -c 4 <&3" 2>/dev/null
}

# check_split: a second run with the split layout (tb_up --split 3): addresses per network, NATS over IPv6 on
# the management LAN only, a VIP moved by hand on eth1 (tb_vip_if), faults per interface, teardown.
check_split() {
    local addrs
    tb_up --split 3 || fail "tb_up --split 3"
    [[ $(tb_vip_if) == eth1 ]] || fail "tb_vip_if is '$(tb_vip_if)' in a split run, not eth1"
    addrs=$(tb_exec n1 ip -o addr show scope global | awk '{print $2, $4}' | tr '\n' ' ')
    [[ $addrs == "eth0 2001:db8:18::11/64 eth1 198.18.0.11/24 " ]] || fail "n1's addresses in a split run: $addrs"
    addrs=$(tb_exec cl ip -o addr show scope global | awk '{print $2, $4}' | tr '\n' ' ')
    [[ $addrs == "eth0 198.18.0.200/24 " ]] || fail "the client's addresses in a split run: $addrs"
    pass "split run $SC_RUN up: n1 eth0 IPv6 only, eth1 IPv4, the client IPv4 on br1 only"
    tb_nats_start || fail "nats-server (split) did not become healthy"
    [[ $(tb_nats_urls) == "nats://[2001:db8:18::1]:4222" ]] || fail "tb_nats_urls in a split run: $(tb_nats_urls)"
    [[ $(nats_info6 n1 4222) == INFO ]] || fail "n1 could not connect to [2001:db8:18::1]:4222"
    [[ -z $(nats_info n1 4222) ]] || fail "n1 reaches NATS over IPv4 in a split run"
    [[ -z $(nats_info6 cl 4222) ]] || fail "the client reaches NATS in a split run"
    tb_nats_isolate
    [[ -z $(nats_info6 n1 4222) ]] || fail "n1 still reaches NATS while it is isolated (split)"
    tb_nats_heal
    [[ $(nats_info6 n1 4222) == INFO ]] || fail "n1 cannot reach NATS after tb_nats_heal (split)"
    [[ -z $(tb_exec lan ip -o -4 addr show dev br0) ]] || fail "tb_nats_heal put IPv4 on br0 in a split run"
    pass "split: NATS at $(tb_nats_urls) from the hosts' eth0 only; tb_nats_isolate/heal"
    tb_nats_stop
    start_responders
    rm -f "$work"/probe-198-18-0-100.json "$work"/events-probe-198-18-0-100
    move_vip 198.18.0.100 n1 n2
    tb_isolate n1 eth1
    reachable cl 198.18.0.11 && fail "n1 still reachable from the client after tb_isolate n1 eth1"
    tb_exec n1 ip link show eth1 | grep -q NO-CARRIER || fail "n1's eth1 should lose carrier"
    tb_exec n1 ip link show eth0 | grep -q LOWER_UP || fail "n1's eth0 should keep carrier (tb_isolate n1 eth1)"
    tb_heal n1 eth1
    reachable_soon cl 198.18.0.11 || fail "n1 unreachable after tb_heal n1 eth1"
    tb_isolate n1
    tb_exec n1 ip link show eth0 | grep -q NO-CARRIER && tb_exec n1 ip link show eth1 | grep -q NO-CARRIER \
        || fail "tb_isolate n1 (split) should cut both cables"
    tb_heal n1
    pass "split: tb_isolate/tb_heal n1 eth1 cut the service cable only; without IF both"
    tb_link_down n1
    tb_exec n1 ip link show eth1 | grep -q "state DOWN" || fail "tb_link_down n1 (split) should take eth1 down"
    reachable cl 198.18.0.11 && fail "n1 still reachable after tb_link_down n1 (split)"
    reachable n1 2001:db8:18::1 || fail "n1's management LAN should stay up when eth1 is down"
    tb_link_up n1
    reachable_soon cl 198.18.0.11 || fail "n1 unreachable after tb_link_up n1 (split)"
    tb_link_down n1 eth0
    reachable n1 2001:db8:18::1 && fail "n1 still reaches the management LAN after tb_link_down n1 eth0"
    tb_link_up n1 eth0
    reachable_soon n1 2001:db8:18::1 || fail "n1 cannot reach the management LAN after tb_link_up n1 eth0"
    pass "split: tb_link_down/up n1 [eth0] (default: the VIP interface eth1; eth0's IPv6 back)"
    check_teardown
}

main() {
    preflight
    PYTHONDONTWRITEBYTECODE=1 python3 "$here/test_udp_probe.py" 2>"$work/unit.log" \
        || { cat "$work/unit.log" >&2; fail "probe analysis unit tests"; }
    pass "probe analysis unit tests ($(grep -o 'Ran [0-9]* tests' "$work/unit.log"))"
    tb_up 3 || fail "tb_up 3"
    pass "testbed run $SC_RUN up: $(ip netns list | grep -c "^sc-$SC_RUN-") namespaces"
    check_nats
    start_responders
    move_vip 198.18.0.100 n1 n2
    move_vip 2001:db8:18::100 n2 n3
    check_dual_detector
    check_faults
    check_teardown
    check_split
    echo "selftest: PASS"
}

main "$@"
