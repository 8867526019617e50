# lib.sh — helpers for the agent's end-to-end tests: the real swift-cluster binary on a namespace LAN.
# Sourced by agent_e2e.sh (and make demo); needs root. See Tests/testbed/testbed.sh for the LAN.

E2E_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../testbed/testbed.sh
source "$E2E_HERE/../testbed/testbed.sh"

VIP=${VIP:-198.18.0.100}
CLUSTER=${CLUSTER:-demo}
E2E_PASS=0
E2E_FAIL=0

# now_ms: monotonic-ish wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

pass() { E2E_PASS=$((E2E_PASS + 1)); printf '  ok    %s\n' "$*"; }
fail() { E2E_FAIL=$((E2E_FAIL + 1)); printf '  FAIL  %s\n' "$*"; }

# check DESCRIPTION COMMAND…: pass when COMMAND succeeds.
check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

# wait_for TIMEOUT_MS COMMAND…: poll COMMAND every 20 ms until it succeeds; fails after the deadline.
wait_for() {
    local deadline=$(($(now_ms) + $1))
    shift
    until "$@"; do
        (($(now_ms) >= deadline)) && return 1
        sleep 0.02
    done
}

# holders: the hosts holding the VIP now, space separated.
holders() { tb_vip_holders "$VIP" | tr '\n' ' ' | sed 's/ $//'; }
# one_holder: exactly one host holds the VIP; prints it.
one_holder() { local h; h=$(holders); [[ -n $h && $h != *" "* ]] && echo "$h"; }
holder_is() { [[ $(holders) == "$1" ]]; }
holder_is_not() { local h; h=$(one_holder) && [[ $h != "$1" ]]; }
nobody_holds() { [[ -z $(holders) ]]; }

# write_config HOST [EXTRA_JSON]: the host's config in the run dir; EXTRA_JSON is spliced in as more keys.
# NATS_URL (default nats://198.18.0.1:4222) and VIP_IF (default eth0) adapt it to another layout.
write_config() {
    local host=$1 extra=${2:-} vips="" dev=${VIP_IF:-eth0}
    [[ -n ${VIP6:-} ]] && vips=$'\n  "vips": [ { "address": "'"$VIP6"'", "netmask": 64, "interface": "'"$dev"'" } ],'
    cat >"$(tb_dir)/$host.json" <<JSON
{
  "clusterId": "$CLUSTER",
  "nodeId": "$host",
  "nats": { "servers": ["${NATS_URL:-nats://198.18.0.1:4222}"], "reconnectWaitMs": 200 },
  "vip": { "address": "$VIP", "netmask": 24, "interface": "$dev" },$vips
  "election": { "leaseTtlMs": ${TTL_MS:-6000}, "heartbeatIntervalMs": ${HEARTBEAT_MS:-1000} },
  "announce": { "count": 3, "intervalMs": 20 },
  "user": "nobody"${extra:+,
  $extra}
}
JSON
}

# agent HOST: start the host's agent (tracked as agent-HOST); agent_pid HOST.
agent() { tb_spawn "$1" "agent-$1" "$SC" daemon -c "$(tb_dir)/$1.json"; }
agent_pid() { tb_pid "agent-$1"; }
agent_stop() { tb_stop "agent-$1" "${2:-TERM}"; }
# agent_kill HOST: SIGKILL, without waiting for anything else.
agent_kill() {
    local pid
    pid=$(agent_pid "$1") && kill -KILL "$pid" && rm -f "$(tb_dir)/pids/agent-$1"
    wait "$pid" 2>/dev/null
    return 0
}

# warden_pid HOST: the pid of the fence warden (sc-fence) the host's agent forked.
warden_pid() { local pid; pid=$(agent_pid "$1") && pgrep -P "$pid" -x sc-fence; }
# pid_gone PID: the process exited (gone, or a zombie not reaped yet).
pid_gone() { ! kill -0 "$1" 2>/dev/null || [[ $(ps -o stat= -p "$1" 2>/dev/null) == Z* ]]; }
# no_wardens: no fence warden runs in any test namespace of this run.
no_wardens() {
    local host pid
    for host in $(tb_hosts); do
        for pid in $(ip netns pids "$(tb_ns "$host")" 2>/dev/null); do
            [[ $(cat "/proc/$pid/comm" 2>/dev/null) == sc-fence ]] && return 1
        done
    done
    return 0
}

# cli HOST ARGS…: run swift-cluster on HOST with HOST's config.
cli() { local host=$1; shift; tb_exec "$host" "$SC" "$@" -c "$(tb_dir)/$host.json"; }

# json_field FIELD: read one field of a JSON object on stdin.
json_field() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print(str(v).lower() if isinstance(v,bool) else v)' "$1"; }

# responders: a UDP responder on every host (for the client probe).
responders() {
    local host
    for host in $(tb_hosts); do
        tb_spawn "$host" "resp-$host" python3 "$E2E_HERE/../testbed/udp_responder.py" "$host" --lifetime 900
    done
}

# probe_for SECONDS: run the client probe; prints its JSON summary.
probe_for() { tb_exec cl python3 "$E2E_HERE/../testbed/udp_probe.py" "$VIP" --duration "$1" --quiet; }
