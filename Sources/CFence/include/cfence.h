// CFence: the fence warden, a tiny process forked by the agent that removes the VIPs when the agent dies or
// stops renewing its leadership. In C because the child after fork may only make async-signal-safe calls,
// which Swift cannot promise; the child never returns to Swift. No logic beyond that.
#ifndef SC_CFENCE_H
#define SC_CFENCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// The largest message the warden accepts: header and payload in one SOCK_SEQPACKET datagram.
#define CFENCE_MAX_MESSAGE 4096
/// The size of the fixed header at the start of every message.
#define CFENCE_HEADER_SIZE 16
/// `magic` of every message ("scfw").
#define CFENCE_MAGIC 0x77666373u
/// ARM: remove the addresses at `deadline_ns` (CLOCK_BOOTTIME) or when the agent is gone. The payload is the
/// netlink `RTM_DELADDR` requests to send then, concatenated `nlmsghdr` messages; it replaces any earlier one.
#define CFENCE_ARM 1
/// DISARM: forget the deadline and the requests (the agent removed the addresses itself). No payload.
#define CFENCE_DISARM 2

/// The header, in host byte order, encoded field by field by the sender:
/// `uint32_t magic; uint16_t kind; uint16_t reserved (0); int64_t deadline_ns` (0 for DISARM).

/// Starts the warden. Creates a `socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC)` and forks. The child
/// resets signal dispositions and ignores SIGTERM, SIGINT, SIGHUP and SIGPIPE (a service manager signalling the
/// whole group leaves it alive until the agent itself is gone), names itself `sc-fence`, reads stdin from and
/// writes stdout to /dev/null (stderr stays: its log lines), closes every other descriptor but its end of the
/// pair, opens its own NETLINK_ROUTE socket and reports readiness; then it serves messages until EOF.
///
/// On success returns the parent's end (close-on-exec) with `*pid` set; on failure `-errno`, including the
/// errno of a child that could not open its netlink socket (reaped before returning).
int cfence_start(pid_t *pid);

/// `send(fd, bytes, length, MSG_NOSIGNAL | MSG_DONTWAIT)`, retrying EINTR: 0 when the whole message went,
/// else `-errno` (`-EAGAIN`: the warden is not reading and its queue is full; never blocks the agent).
int cfence_send(int fd, const void *bytes, size_t length);

/// CLOCK_BOOTTIME now, in nanoseconds.
int64_t cfence_boottime_ns(void);

/// Reaps `pid` if it has exited (`waitpid(WNOHANG)`): 1 reaped, 0 still running, `-errno`.
int cfence_reap(pid_t pid);

#endif
