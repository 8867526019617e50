#!/bin/sh
# swift-cluster health check: exit 0 when this host can serve, anything else when it cannot.
#
# Use it under "healthChecks" in /etc/swift-cluster/cluster.json:
#   { "name": "web", "command": ["/usr/share/doc/swift-cluster/examples/health-check.sh", "http://127.0.0.1/healthz"],
#     "intervalMs": 2000, "timeoutMs": 1000, "fall": 3, "rise": 2 }
# After "fall" consecutive failures (a timeout counts as one) the node steps down and stops contending;
# after "rise" consecutive successes it contends again. The command is run directly (no shell unless you
# write ["/bin/sh", "-c", "..."]), as the service user, without capabilities, inside the unit's sandbox,
# killed with its process group after timeoutMs.
#
# Arguments: a URL to fetch (default http://127.0.0.1/), optionally a systemd unit that must be active
# (asked over D-Bus; the unit's ProtectProc=invisible hides other users' processes from pgrep).
set -u
url="${1:-http://127.0.0.1/}"
unit="${2:-}"

if [ -n "$unit" ] && ! systemctl is-active --quiet "$unit"; then
  echo "health-check: $unit is not active" >&2
  exit 1
fi

if command -v curl >/dev/null 2>&1; then
  exec curl -fsS -o /dev/null --max-time 1 "$url"
elif command -v wget >/dev/null 2>&1; then
  exec wget -q -O /dev/null -T 1 "$url"
else
  echo "health-check: neither curl nor wget is installed" >&2
  exit 1
fi
