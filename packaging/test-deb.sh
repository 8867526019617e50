#!/bin/bash
# Tests the Debian package on this machine (`make deb-test`; `make check` as root): builds it (and one with a
# higher version), runs lintian, installs it, checks what it installed, upgrades with a locally modified
# conffile, removes and purges it, and checks that nothing is left behind.
#
# It installs a package on the machine it runs on, so it refuses to run when a swift-cluster package, a
# swift-cluster user or group, or /etc/swift-cluster is already there (an operator's install), and it purges
# what it installed on success and on failure. It never starts the service.
#
# Environment: DEB_BUILD_FLAGS (passed to `make deb`, e.g. "--scratch-path .build-micro"); DEB_TEST_KEEP=1 keeps
# the built packages in out/deb-test.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/out/deb-test
failures=0
installed=0

say() { printf '%s\n' "$*"; }
ok() { say "ok   - $*"; }
fail() { say "FAIL - $*"; failures=$((failures + 1)); }
skip() { say "skip - $*"; }
die() { say "deb-test: $*" >&2; exit 2; }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds (its standard output is dropped).
check() {
    local what=$1
    shift
    if "$@" >/dev/null; then ok "$what"; else fail "$what"; fi
}

[ "$(id -u)" -eq 0 ] || die "run as root (it installs and purges the package)"

# --- Refuse to touch an operator's install ---------------------------------------------------------------
status=$(dpkg-query -W -f='${db:Status-Abbrev}' swift-cluster 2>/dev/null || true)
case "$status" in
    "" | un* | pn*) ;;
    *) die "a swift-cluster package is present (dpkg status '$status'); not touching it" ;;
esac
getent passwd swift-cluster >/dev/null && die "a user swift-cluster exists already; not touching it"
getent group swift-cluster >/dev/null && die "a group swift-cluster exists already; not touching it"
[ -e /etc/swift-cluster ] && die "/etc/swift-cluster exists already; not touching it"

cleanup() {
    local rc=$?
    declare -F agent_cleanup >/dev/null && agent_cleanup
    if [ "$installed" = 1 ]; then
        status=$(dpkg-query -W -f='${db:Status-Abbrev}' swift-cluster 2>/dev/null || true)
        case "$status" in
            "" | un* | pn*) ;;
            *) say "cleanup: purging swift-cluster"; dpkg -P swift-cluster >/dev/null 2>&1 || true ;;
        esac
        # What a failed purge may have left (none of it existed when the test started).
        dpkg-statoverride --list /etc/swift-cluster/cluster.json >/dev/null 2>&1 \
            && dpkg-statoverride --remove /etc/swift-cluster/cluster.json
        getent passwd swift-cluster >/dev/null && userdel swift-cluster
        getent group swift-cluster >/dev/null && groupdel swift-cluster
        rm -rf /etc/swift-cluster
    fi
    [ "${DEB_TEST_KEEP:-0}" = 1 ] || rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Tools -----------------------------------------------------------------------------------------------
if ! command -v lintian >/dev/null; then
    say "apt: installing lintian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lintian \
        >/dev/null || die "cannot install lintian"
fi
command -v man >/dev/null || die "man (man-db) is missing"
if ! command -v strace >/dev/null; then
    say "apt: installing strace (to check the agent against the unit's system call filter)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends strace >/dev/null \
        || say "apt: strace not installed; that check will be skipped"
fi

# --- Build -----------------------------------------------------------------------------------------------
rm -rf "$work"
mkdir -p "$work/first" "$work/next"
make -s -C "$root" deb DEB_OUT="$work/first" || die "make deb failed"
deb=$(ls "$work"/first/swift-cluster_*.deb)
version=$(dpkg-deb -f "$deb" Version)
next_version=${version}+debtest1
make -s -C "$root" deb DEB_OUT="$work/next" DEB_VERSION="$next_version" || die "make deb DEB_VERSION=$next_version failed"
next_deb=$(ls "$work"/next/swift-cluster_*.deb)
say "built $(basename "$deb") and $(basename "$next_deb")"

# --- lintian ---------------------------------------------------------------------------------------------
lintian_out=$(lintian --fail-on error,warning "$deb" 2>&1)
lintian_rc=$?
lintian_tags=$(printf '%s\n' "$lintian_out" | grep -E '^[EW]: ' || true)
printf '%s\n' "$lintian_out" | sed 's/^/     lintian: /'
if [ "$lintian_rc" = 0 ] && [ -z "$lintian_tags" ]; then ok "lintian: no errors, no warnings"; else fail "lintian"; fi

# --- Install ---------------------------------------------------------------------------------------------
installed=1
if dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1; then ok "dpkg -i $(basename "$deb")"; else
    cat "$work/dpkg-i.log"
    fail "dpkg -i"
    exit 1
fi
files=$(dpkg -L swift-cluster)
printf '%s\n' "$files" | sed 's/^/     dpkg -L: /'

passwd=$(getent passwd swift-cluster || true)
check "user swift-cluster exists" test -n "$passwd"
check "its shell is /usr/sbin/nologin" test "$(printf '%s' "$passwd" | cut -d: -f7)" = /usr/sbin/nologin
check "its home is /nonexistent and does not exist" \
    bash -c "test '$(printf '%s' "$passwd" | cut -d: -f6)' = /nonexistent && test ! -e /nonexistent"
check "it is a system user (uid < 1000)" test "$(printf '%s' "$passwd" | cut -d: -f3)" -lt 1000
check "group swift-cluster exists" getent group swift-cluster

mode() { stat -c '%U:%G %a' "$1" 2>/dev/null; }
expect_mode() {
    local actual
    actual=$(mode "$1")
    if [ "$actual" = "$2" ]; then ok "$1 is $2"; else fail "$1 is '$actual', expected $2"; fi
}
expect_mode /usr/sbin/swift-cluster "root:root 755"
expect_mode /etc/swift-cluster/cluster.json "root:swift-cluster 640"
expect_mode /lib/systemd/system/swift-cluster.service "root:root 644"
expect_mode /lib/systemd/system/swift-cluster@.service "root:root 644"
expect_mode /usr/share/doc/swift-cluster/examples/notify.sh "root:root 755"
expect_mode /usr/share/doc/swift-cluster/examples/health-check.sh "root:root 755"
check "cluster.json is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' swift-cluster | grep -q ' /etc/swift-cluster/cluster.json '"
for path in /usr/share/bash-completion/completions/swift-cluster /usr/share/zsh/vendor-completions/_swift-cluster \
    /usr/share/fish/vendor_completions.d/swift-cluster.fish /usr/share/doc/swift-cluster/copyright \
    /usr/share/doc/swift-cluster/changelog.gz /usr/share/doc/swift-cluster/examples/cluster-full.json \
    /usr/share/man/man8/swift-cluster.8.gz /usr/share/man/man5/swift-cluster.json.5.gz \
    /usr/share/man/man7/swift-cluster-control.7.gz; do
    check "$path installed" test -s "$path"
done
check "bash completion loads" bash -c '. /usr/share/bash-completion/completions/swift-cluster && complete -p swift-cluster >/dev/null'

# --- The installed binary --------------------------------------------------------------------------------
installed_version=$(/usr/sbin/swift-cluster --version 2>&1)
check "/usr/sbin/swift-cluster --version prints $version ($installed_version)" test "$installed_version" = "$version"
check "check-config of the shipped configuration (root)" \
    bash -c '/usr/sbin/swift-cluster check-config -c /etc/swift-cluster/cluster.json >/dev/null'
check "check-config of the shipped configuration as the service user (as ExecStartPre runs it)" \
    runuser -u swift-cluster -- /usr/sbin/swift-cluster check-config -c /etc/swift-cluster/cluster.json
check "check-config of examples/cluster-full.json" \
    bash -c '/usr/sbin/swift-cluster check-config -c /usr/share/doc/swift-cluster/examples/cluster-full.json >/dev/null'
ldd_out=$(ldd /usr/sbin/swift-cluster 2>&1)
printf '%s\n' "$ldd_out" | sed 's/^/     ldd: /'
if printf '%s\n' "$ldd_out" | grep -Eq 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift|toolchain|not found'; then
    fail "ldd: a Swift runtime or toolchain library, or a missing one"
else
    ok "ldd: no Swift runtime libraries, none missing"
fi

# --- Man pages -------------------------------------------------------------------------------------------
for page in $(printf '%s\n' "$files" | grep '^/usr/share/man/.*\.gz$'); do
    warnings=$(man --warnings -l "$page" 2>&1 >/dev/null)
    if [ -z "$warnings" ]; then ok "man --warnings -l $page: clean"; else
        printf '%s\n' "$warnings" | sed 's/^/     /'
        fail "man --warnings -l $page"
    fi
done
for name in swift-cluster swift-cluster.json swift-cluster-control; do
    check "man -w $name finds the page" bash -c "man -w $name >/dev/null 2>&1"
done

# --- systemd ---------------------------------------------------------------------------------------------
systemd_state=$(systemctl is-system-running 2>/dev/null || true)
if command -v systemd-analyze >/dev/null; then
    instance_dir=$(mktemp -d)
    ln -s /lib/systemd/system/swift-cluster@.service "$instance_dir/swift-cluster@example.service"
    for unit in /lib/systemd/system/swift-cluster.service "$instance_dir/swift-cluster@example.service"; do
        verify=$(systemd-analyze verify "$unit" 2>&1)
        if [ -z "$verify" ]; then ok "systemd-analyze verify $(basename "$unit"): clean"; else
            printf '%s\n' "$verify" | sed 's/^/     /'
            fail "systemd-analyze verify $(basename "$unit")"
        fi
        security=$(systemd-analyze security --offline=true "$unit" 2>&1)
        exposure=$(printf '%s\n' "$security" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
        if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
            ok "systemd-analyze security --offline=true $(basename "$unit"): exposure $exposure (<= 2.0)"
        else
            printf '%s\n' "$security" | sed 's/^/     /'
            fail "systemd-analyze security $(basename "$unit"): exposure '${exposure}' (expected <= 2.0)"
        fi
    done
    rm -rf "$instance_dir"
else
    skip "systemd-analyze is not installed: verify and security not checked"
fi
check "swift-cluster.service is enabled (wants link)" test -L /etc/systemd/system/multi-user.target.wants/swift-cluster.service
if [ -d /run/systemd/system ]; then
    check "the service was not started on first installation" \
        bash -c '! systemctl is-active --quiet swift-cluster.service'
else
    skip "systemd is not running here (is-system-running: ${systemd_state:-unknown}): starting, reloading and the watchdog of the units are not exercised; maintainer scripts skipped daemon-reload and start/stop"
fi

# --- The installed agent, run as the unit runs it (without systemd) ---------------------------------------
# systemd is not needed to check the parts of the unit that decide whether the agent works at all: the
# service user with exactly CAP_NET_ADMIN + CAP_NET_RAW as ambient capabilities and no new privileges
# (setpriv), the system call filter (every system call the agent, a health check and a notify script make is
# compared with the unit's SystemCallFilter=; those outside it are made to fail with EPERM, as
# SystemCallErrorNumber= does, in a second run), the address families and MemoryDenyWriteExecute (no
# writable+executable mapping). The agent runs in a network namespace of its own with a nats-server.
agent_netns=""
agent_nats_pid=""
agent_dir=""
agent_cleanup() {
    [ -n "$agent_nats_pid" ] && kill "$agent_nats_pid" 2>/dev/null && wait "$agent_nats_pid" 2>/dev/null
    [ -n "$agent_netns" ] && ip netns del "$agent_netns" 2>/dev/null
    [ -n "$agent_dir" ] && rm -rf "$agent_dir"
    agent_nats_pid="" agent_netns="" agent_dir=""
}

# agent_run TRACE [INJECT]: runs the daemon under strace until it leads and holds both VIPs, reloads it with
# SIGHUP, stops it with SIGTERM; succeeds when it did all that, exited 0 and removed its VIPs.
agent_run() {
    local trace=$1 inject=${2:-} pid daemon i held=0 rc
    local inject_args=()
    [ -n "$inject" ] && inject_args=(-e "inject=$inject:error=EPERM")
    ip netns exec "$agent_netns" strace -f -qq -o "$trace" "${inject_args[@]}" \
        setpriv --reuid=swift-cluster --regid=swift-cluster --init-groups \
        --inh-caps=-all,+net_admin,+net_raw --ambient-caps=-all,+net_admin,+net_raw \
        --bounding-set=-all,+net_admin,+net_raw --no-new-privs \
        /usr/sbin/swift-cluster daemon -c "$agent_dir/agent.json" >"$trace.log" 2>&1 &
    pid=$!
    sleep 0.5
    daemon=$(pgrep -P "$pid" | head -1)  # strace's child: setpriv, which became the agent
    for i in $(seq 1 60); do
        if ip -n "$agent_netns" addr show sc0 | grep -q 192.0.2.100/24 \
            && ip -n "$agent_netns" addr show sc0 | grep -q 2001:db8::100/64; then held=1; break; fi
        sleep 0.25
    done
    if [ "$held" = 1 ]; then
        sleep 2  # a few health checks and the notify script
        kill -HUP "$daemon"
        sleep 1
        kill -TERM "$daemon"
    else
        kill -KILL "$daemon" "$pid" 2>/dev/null
    fi
    wait "$pid"
    rc=$?
    sed 's/^/     agent: /' "$trace.log" | grep -v ' INFO ' | head -20
    [ "$held" = 1 ] && [ "$rc" = 0 ] && ! ip -n "$agent_netns" addr show sc0 | grep -q 192.0.2.100 \
        && grep -q 'SIGHUP received' "$trace.log" && grep -q 'stopped (handed over leadership)' "$trace.log" \
        && [ -s "$agent_dir/notified" ]
}

# syscall_set GROUP...: the system calls of systemd's groups, nested groups expanded.
syscall_set() {
    local item
    for item in "$@"; do
        case "$item" in
            @*) syscall_set $(systemd-analyze syscall-filter "$item" | awk 'NR > 1 && /^ *[-@a-z0-9_]+$/ { print $1 }') ;;
            *) printf '%s\n' "$item" ;;
        esac
    done | sort -u
}

agent_check() {
    local unit=/lib/systemd/system/swift-cluster.service allow deny used outside families wx
    for tool in nats-server strace ip setpriv; do
        if ! command -v "$tool" >/dev/null; then skip "the agent as the unit runs it: $tool is missing"; return; fi
    done
    agent_dir=$(mktemp -d)
    chmod 0755 "$agent_dir"
    agent_netns=sc-debtest-$$
    ip netns add "$agent_netns" && ip -n "$agent_netns" link set lo up \
        && ip -n "$agent_netns" link add sc0 type veth peer name sc1 \
        && ip -n "$agent_netns" link set sc0 up && ip -n "$agent_netns" link set sc1 up \
        || { fail "the agent as the unit runs it: cannot build a network namespace"; agent_cleanup; return; }
    printf 'listen: 127.0.0.1:4222\njetstream { store_dir: "%s/js" }\n' "$agent_dir" > "$agent_dir/nats.conf"
    ip netns exec "$agent_netns" nats-server -c "$agent_dir/nats.conf" >"$agent_dir/nats.log" 2>&1 &
    agent_nats_pid=$!
    printf '#!/bin/sh\necho "$STATE $EPOCH" > %s/notified\n' "$agent_dir" > "$agent_dir/notify.sh"
    : > "$agent_dir/notified"
    chown swift-cluster "$agent_dir/notified"
    chmod 0755 "$agent_dir/notify.sh"
    cat > "$agent_dir/agent.json" <<JSON
{ "clusterId": "debtest", "nodeId": "debtest",
  "nats": { "servers": ["nats://127.0.0.1:4222"] },
  "vip": { "address": "192.0.2.100", "netmask": 24, "interface": "sc0" },
  "vips": [ { "address": "2001:db8::100", "netmask": 64, "interface": "sc0" } ],
  "election": { "leaseTtlMs": 6000, "heartbeatIntervalMs": 1000 },
  "announce": { "count": 2, "intervalMs": 20 },
  "notify": { "master": "$agent_dir/notify.sh" },
  "healthChecks": [ { "name": "sh", "command": ["/bin/sh", "-c", "test -r /etc/hostname"], "intervalMs": 200, "timeoutMs": 100 } ],
  "metrics": { "listen": "127.0.0.1:9464" } }
JSON
    chmod 0644 "$agent_dir/agent.json"
    sleep 1

    if agent_run "$agent_dir/trace"; then
        ok "the agent as the unit runs it (user swift-cluster, ambient CAP_NET_ADMIN CAP_NET_RAW, no new privileges): leads, holds an IPv4 and an IPv6 VIP, runs a health check and a notify script, reloads, hands over on SIGTERM"
    else
        fail "the agent as the unit runs it"
        agent_cleanup
        return
    fi

    # The unit's filter: SystemCallFilter=@system-service, then ~@resources @obsolete.
    allow=$(syscall_set $(sed -n 's/^SystemCallFilter=\([^~].*\)/\1/p' "$unit"))
    deny=$(syscall_set $(sed -n 's/^SystemCallFilter=~\(.*\)/\1/p' "$unit"))
    # System calls made after the agent's execve (the setpriv part before it is outside the unit).
    used=$(awk '/execve\("\/usr\/sbin\/swift-cluster"/ { on = 1 } on' "$agent_dir/trace" \
        | sed -E 's/^[0-9]+ +//' | grep -oE '^[a-z0-9_]+\(' | tr -d '(' | sort -u)
    outside=$(comm -23 <(printf '%s\n' "$used") <(comm -23 <(printf '%s\n' "$allow") <(printf '%s\n' "$deny")) | xargs)
    say "     system calls made: $(printf '%s\n' "$used" | wc -l); outside the unit's filter: ${outside:-none}"
    families=$(grep -oE 'socket\(AF_[A-Z0-9]+' "$agent_dir/trace" | sed 's/socket(//' | sort -u | xargs)
    check "address families used ($families) are all in RestrictAddressFamilies=" \
        bash -c "! printf '%s\n' $families | grep -vxE 'AF_UNIX|AF_INET|AF_INET6|AF_NETLINK|AF_PACKET'"
    wx=$(grep -E 'PROT_WRITE\|PROT_EXEC|mprotect\(.*PROT_EXEC' "$agent_dir/trace" | head -3)
    check "no writable and executable memory (MemoryDenyWriteExecute=)${wx:+: $wx}" test -z "$wx"
    if [ -n "$outside" ]; then
        if agent_run "$agent_dir/trace2" "$(printf '%s' "$outside" | tr ' ' ',')"; then
            ok "the agent still works when the calls outside the filter ($outside) fail with EPERM, as the unit makes them"
        else
            fail "the agent with the calls outside the filter ($outside) failing with EPERM, as the unit makes them"
        fi
    else
        ok "every system call the agent made is allowed by the unit's SystemCallFilter="
    fi
    agent_cleanup
}
agent_check

# --- Upgrade with a locally modified conffile ------------------------------------------------------------
sed -i 's/"clusterId": "example"/"clusterId": "locally-modified"/' /etc/swift-cluster/cluster.json
modified_sum=$(md5sum < /etc/swift-cluster/cluster.json)
if dpkg --force-confold -i "$next_deb" >"$work/dpkg-upgrade.log" 2>&1; then ok "dpkg -i $(basename "$next_deb") (upgrade)"; else
    cat "$work/dpkg-upgrade.log"
    fail "upgrade"
fi
check "the upgrade installed $next_version" test "$(dpkg-query -W -f='${Version}' swift-cluster)" = "$next_version"
check "the upgrade kept the locally modified conffile" test "$(md5sum < /etc/swift-cluster/cluster.json)" = "$modified_sum"
check "no prompt was needed (no .dpkg-dist / .dpkg-old)" \
    bash -c '! ls /etc/swift-cluster/cluster.json.dpkg-* >/dev/null 2>&1'
expect_mode /etc/swift-cluster/cluster.json "root:swift-cluster 640"
check "the modified configuration still passes check-config" \
    bash -c '/usr/sbin/swift-cluster check-config -c /etc/swift-cluster/cluster.json | grep -q OK'
files=$(dpkg -L swift-cluster)

# --- Remove, then purge ----------------------------------------------------------------------------------
if dpkg -r swift-cluster >"$work/dpkg-r.log" 2>&1; then ok "dpkg -r swift-cluster"; else cat "$work/dpkg-r.log"; fail "dpkg -r"; fi
check "after dpkg -r: the binary is gone" test ! -e /usr/sbin/swift-cluster
check "after dpkg -r: the conffile stays" test -e /etc/swift-cluster/cluster.json
check "after dpkg -r: the package is in config-files state" \
    test "$(dpkg-query -W -f='${db:Status-Abbrev}' swift-cluster 2>/dev/null)" = "rc "
if dpkg -P swift-cluster >"$work/dpkg-P.log" 2>&1; then ok "dpkg -P swift-cluster"; else cat "$work/dpkg-P.log"; fail "dpkg -P"; fi
left=""
while IFS= read -r path; do
    # Directories the package shares with others (/usr/share/man/man8, ...) stay; its own files must not.
    if [ -e "$path" ] && { [ ! -d "$path" ] || [ "$path" = /etc/swift-cluster ] || [ "$path" = /usr/share/doc/swift-cluster ]; }; then
        left="$left $path"
    fi
done <<< "$files"
check "after dpkg -P: no file of the package is left${left:+ (left:$left)}" test -z "$left"
check "after dpkg -P: no /etc/swift-cluster" test ! -e /etc/swift-cluster
check "after dpkg -P: no user swift-cluster" bash -c '! getent passwd swift-cluster >/dev/null'
check "after dpkg -P: no group swift-cluster" bash -c '! getent group swift-cluster >/dev/null'
check "after dpkg -P: no statoverride" bash -c '! dpkg-statoverride --list /etc/swift-cluster/cluster.json >/dev/null 2>&1'
unit_left=$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
    -name '*swift-cluster*' 2>/dev/null)
check "after dpkg -P: no unit links or deb-systemd-helper state${unit_left:+ (left: $unit_left)}" test -z "$unit_left"
check "after dpkg -P: dpkg knows no swift-cluster" \
    bash -c "case \"\$(dpkg-query -W -f='\${db:Status-Abbrev}' swift-cluster 2>/dev/null)\" in ''|un*|pn*) exit 0;; *) exit 1;; esac"
installed=0

if [ "$failures" -gt 0 ]; then
    say "deb-test: $failures check(s) failed"
    exit 1
fi
say "deb-test: all checks passed"
