#!/bin/sh
# swift-cluster notify script (keepalived's notify_master / notify_backup / notify_fault).
#
# Set it as "master", "backup" and/or "fault" under "notify" in /etc/swift-cluster/cluster.json.
# The agent runs it on each transition, in order, never blocking the election; it is killed with its
# process group after notify.timeoutMs. It runs as the service user, without capabilities, inside the
# unit's sandbox (read-only file system except a private /tmp), with PATH=/usr/sbin:/usr/bin:/sbin:/bin and:
#
#   CLUSTER_ID  the cluster id            NODE_ID  this node's id
#   ROLE        PRIMARY or PASSIVE        STATE    MASTER, BACKUP or FAULT
#   EPOCH       the leader's epoch        LEADER   the leader's node id (empty if none)
#   VIPS        the VIPs (space-separated CIDRs)
#   REASON      why the node is not eligible (FAULT), "; "-separated
#
# Its output goes to the journal (journalctl -u swift-cluster). Exit status is logged, not acted on.
set -u

message="swift-cluster ${CLUSTER_ID:-?}: ${NODE_ID:-?} is ${STATE:-?} (role ${ROLE:-?}, leader ${LEADER:-none}, epoch ${EPOCH:-0})"
case "${STATE:-}" in
  MASTER) message="$message; holding ${VIPS:-no VIPs}" ;;
  FAULT)  message="$message; not eligible: ${REASON:-unknown}" ;;
esac

# To the journal with a priority (logger(1) talks to /dev/log, which the unit allows: AF_UNIX).
if command -v logger >/dev/null 2>&1; then
  priority=user.notice
  [ "${STATE:-}" = FAULT ] && priority=user.warning
  logger -t swift-cluster-notify -p "$priority" -- "$message"
else
  echo "$message"
fi

# Examples of what to do on each state (uncomment and adapt):
# case "$STATE" in
#   MASTER) systemctl --no-block start my-app.service ;;   # needs a polkit rule (sudo cannot work: NoNewPrivileges)
#   BACKUP) ;;
#   FAULT)  curl -fsS -m 5 -d "$message" https://alerts.example.net/hook ;;
# esac
exit 0
