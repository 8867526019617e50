#!/usr/bin/env bash
# selftest.sh — proves the testbed works on this machine (needs root, nats-server, arping, python3).
#
# Usage: sudo Tests/testbed/selftest.sh          (exit 0 = every check passed; ~10 s)
#
# It builds a fresh 3-host run, then checks, in order:
#   1. NATS: one JetStream server in the lan namespace; n1 connects to 198.18.0.1:4222 and reads INFO;
#      tb_nats_isolate makes that connect fail, tb_nats_heal makes it work again; then a three-server
#      cluster (4222-4224) elects a JetStream meta leader and n2 reads INFO from 198.18.0.1:4223.
#   2. IPv4 VIP moved by hand: 198.18.0.100/24 on n1, responders on n1..n3, the probe in the client;
#      after ~2 s the VIP is deleted on n1, added on n2 and announced by a gratuitous ARP from n2.
#      The probe must see n1 then n2, exactly one answerer change, a bounded silence, no dual answers.
#   3. The same for the IPv6 VIP 2001:db8:18::100/64, moved from n2 to n3 with an unsolicited NA.
#   4. tb_vip_holders names exactly the expected host at each step.
#   5. After tb_down: no sc-RUN-* namespace, no run directory, no process the run started.
# Measured silences are printed; the probes' JSON summaries are printed on failure.

set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=testbed.sh
source "$here/testbed.sh"

MAX_SILENCE_MS=${MAX_SILENCE_MS:-500} # bound on the hand move's client-observed outage
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
    local events="$work/events-$name"
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
    tb_stop "$name" TERM
    python3 - "$out" "$from" "$to" "$MAX_SILENCE_MS" <<'EOF' || { cat "$out" >&2; fail "probe checks for $vip"; }
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
move = s["marks"][0]["t_ms"] if s["marks"] else None
print(f"selftest: ok: {s['target']} moved {old} -> {new}: silence {l['ms']} ms "
      f"({l['start_ms']} -> {l['end_ms']} ms, move started at {move} ms), sent {s['sent']} "
      f"received {s['received']} lost {s['lost']}, rtt p50 {s['rtt_ms']['p50']} ms p99 {s['rtt_ms']['p99']} ms, "
      f"changes {len(s['changes'])}, dual {len(s['dual'])}")
EOF
    tb_vip_del "$to" "$vip"
    expect_holders "$vip" ""
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

main() {
    preflight
    tb_up 3 || fail "tb_up 3"
    pass "testbed run $SC_RUN up: $(ip netns list | grep -c "^sc-$SC_RUN-") namespaces"
    check_nats
    start_responders
    move_vip 198.18.0.100 n1 n2
    move_vip 2001:db8:18::100 n2 n3
    check_teardown
    echo "selftest: PASS"
}

main "$@"
