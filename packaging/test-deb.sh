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
