#define _GNU_SOURCE
#include "cfence.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

// ---------------------------------------------------------------------------------------------- the child
// Everything below until cfence_start runs only in the forked child: async-signal-safe calls, no malloc,
// no stdio, static buffers (the child owns its copy of memory).

static int64_t boottime_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_BOOTTIME, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

// A log line assembled without stdio.
static char line[256];
static size_t line_len;

static void put(const char *text) {
    while (*text && line_len < sizeof line - 1) line[line_len++] = *text++;
}

static void put_number(long value) {
    char digits[24];
    int n = 0;
    unsigned long v = value < 0 ? (unsigned long)-value : (unsigned long)value;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < (int)sizeof digits);
    if (value < 0) put("-");
    while (n > 0 && line_len < sizeof line - 1) line[line_len++] = digits[--n];
}

static void say(void) {
    line[line_len++] = '\n';
    ssize_t ignored = write(2, line, line_len);
    (void)ignored;
    line_len = 0;
}

// Walks concatenated netlink messages: the number of well-formed RTM_DELADDR requests, or -1 when any
// message is malformed or anything but a delete request (the warden only ever removes addresses).
static int count_delete_requests(const unsigned char *bytes, size_t length) {
    int count = 0;
    size_t offset = 0;
    while (offset < length) {
        struct nlmsghdr header;
        if (length - offset < sizeof header) return -1;
        memcpy(&header, bytes + offset, sizeof header);
        if (header.nlmsg_len < sizeof header || header.nlmsg_len > length - offset) return -1;
        if (header.nlmsg_type != RTM_DELADDR || !(header.nlmsg_flags & NLM_F_REQUEST)) return -1;
        count++;
        offset += NLMSG_ALIGN(header.nlmsg_len);
    }
    return count;
}

// Sends the stored delete requests and reads the kernel's answers (one ack or error each), then logs.
static void fire(int netlink, const unsigned char *requests, size_t length, const char *why) {
    static unsigned char reply[8192];
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    int expected = count_delete_requests(requests, length);
    ssize_t sent;
    do {
        sent = sendto(netlink, requests, length, 0, (struct sockaddr *)&kernel, sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    put("swift-cluster fence: ");
    put(why);
    if (sent < 0) {
        put(": removing the VIPs failed: errno ");
        put_number(errno);
        say();
        return;
    }
    // rtnetlink answers within sendto, so every answer is queued by now; never block here.
    int removed = 0, absent = 0, failed = 0, answered = 0;
    while (answered < expected) {
        ssize_t n = recv(netlink, reply, sizeof reply, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        size_t offset = 0;
        while ((size_t)n - offset >= sizeof(struct nlmsghdr)) {
            struct nlmsghdr header;
            memcpy(&header, reply + offset, sizeof header);
            if (header.nlmsg_len < sizeof header || header.nlmsg_len > (size_t)n - offset) break;
            if (header.nlmsg_type == NLMSG_ERROR && header.nlmsg_len >= sizeof header + sizeof(int)) {
                int error;
                memcpy(&error, reply + offset + sizeof header, sizeof error);
                if (error == 0) removed++;
                else if (error == -EADDRNOTAVAIL || error == -ENODEV) absent++;  // already gone: fine
                else failed++;
                answered++;
            }
            offset += NLMSG_ALIGN(header.nlmsg_len);
        }
    }
    put(": removed the VIPs (");
    put_number(removed);
    put(" removed, ");
    put_number(absent);
    put(" already gone");
    if (failed > 0) {
        put(", ");
        put_number(failed);
        put(" failed");
    }
    put(")");
    say();
}

// Sleeps until `deadline` (CLOCK_BOOTTIME), whatever signals arrive.
static void sleep_until(int64_t deadline) {
    struct timespec until = {.tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000};
    while (boottime_ns() < deadline && clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &until, NULL) != 0) {}
}

// Serves the agent until EOF. Never returns.
static void serve(int agent, int netlink) {
    static unsigned char message[CFENCE_MAX_MESSAGE + 1];
    static unsigned char requests[CFENCE_MAX_MESSAGE];
    size_t requests_length = 0;
    int armed = 0;
    int64_t deadline = 0;
    for (;;) {
        struct timespec left, *timeout = NULL;
        if (armed) {
            int64_t remaining = deadline - boottime_ns();
            if (remaining <= 0) {
                fire(netlink, requests, requests_length, "leadership deadline passed without renewal");
                armed = 0;
                continue;
            }
            left.tv_sec = remaining / 1000000000;
            left.tv_nsec = remaining % 1000000000;
            timeout = &left;
        }
        struct pollfd poll_fd = {.fd = agent, .events = POLLIN};
        int ready = ppoll(&poll_fd, 1, timeout, NULL);
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) continue;  // the deadline: checked at the top

        struct iovec io = {.iov_base = message, .iov_len = sizeof message};
        struct msghdr header = {.msg_iov = &io, .msg_iovlen = 1};
        ssize_t n = ready < 0 ? -1 : recvmsg(agent, &header, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // EOF or an error: the agent exited or was killed. Only an armed warden has work left. Its
            // leadership is still provably valid until the deadline it armed (the lease outlives it on the
            // server, and nobody else can take it before), so the VIPs keep serving clients until then, as
            // they would have had the agent lived; then they go, before any other node can lead.
            if (armed) {
                int64_t left = deadline - boottime_ns();
                put("swift-cluster fence: the agent is gone while holding the VIPs: they stay until its "
                    "leadership deadline, ");
                put_number(left > 0 ? (long)(left / 1000000) : 0);
                put(" ms from now");
                say();
                sleep_until(deadline);
                fire(netlink, requests, requests_length, "the dead agent's leadership deadline passed");
            }
            _exit(0);
        }

        uint32_t magic = 0;
        uint16_t kind = 0, reserved = 0;
        int64_t until = 0;
        if ((size_t)n >= CFENCE_HEADER_SIZE) {
            memcpy(&magic, message, 4);
            memcpy(&kind, message + 4, 2);
            memcpy(&reserved, message + 6, 2);
            memcpy(&until, message + 8, 8);
        }
        size_t payload = (size_t)n >= CFENCE_HEADER_SIZE ? (size_t)n - CFENCE_HEADER_SIZE : 0;
        int valid = !(header.msg_flags & MSG_TRUNC) && (size_t)n <= CFENCE_MAX_MESSAGE &&
                    (size_t)n >= CFENCE_HEADER_SIZE && magic == CFENCE_MAGIC && reserved == 0;
        if (valid && kind == CFENCE_ARM && payload > 0 &&
            count_delete_requests(message + CFENCE_HEADER_SIZE, payload) > 0) {
            memcpy(requests, message + CFENCE_HEADER_SIZE, payload);
            requests_length = payload;
            deadline = until;
            armed = 1;
        } else if (valid && kind == CFENCE_DISARM && payload == 0) {
            armed = 0;
            requests_length = 0;
        } else {
            put("swift-cluster fence: ignoring a malformed message of ");
            put_number((long)n);
            put(" bytes");
            say();
        }
    }
}

// Closes every descriptor from 3 up but `keep`: close_range when the kernel has it, else a loop.
static void close_all_but(int keep) {
    int ok = (keep <= 3 || syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U) == 0) &&
             syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0;
    if (ok) return;
    struct rlimit limit;
    long max = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && (long)limit.rlim_cur < max)
        max = (long)limit.rlim_cur;
    for (long fd = 3; fd < max; fd++)
        if (fd != keep) close((int)fd);
}

static void child(int agent) {
    struct sigaction action = {0};
    action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &action, NULL);  // fails harmlessly for KILL and STOP
    action.sa_handler = SIG_IGN;
    // A service manager or a terminal signals the whole group; the warden waits for the agent's EOF instead.
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    sigaction(SIGPIPE, &action, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_NAME, "sc-fence", 0, 0, 0);

    // stdin and stdout from/to /dev/null (nobody waits on the agent's stdout for the warden); stderr stays.
    // `agent` is >= 3 (moved by the parent), so these dup2s cannot clobber it.
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        if (devnull != 0) dup2(devnull, 0);
        if (devnull != 1) dup2(devnull, 1);
    }
    close_all_but(agent);

    int status = 0;
    int netlink = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (netlink < 0) status = errno;
    if (netlink >= 0) {
        int one = 1;
        setsockopt(netlink, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);  // short acks; optional
    }
    ssize_t ignored = send(agent, &status, sizeof status, MSG_NOSIGNAL);
    (void)ignored;
    if (status != 0) _exit(1);
    serve(agent, netlink);
}

// --------------------------------------------------------------------------------------------- the parent

// Moves a descriptor to 3 or above, close-on-exec, so the child's dup2 onto 0..1 cannot clobber it.
static int high_cloexec(int fd) {
    if (fd >= 3) return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int saved = errno;
    close(fd);
    errno = saved;
    return moved;
}

static void reap_blocking(pid_t pid) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

int cfence_start(pid_t *pid) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -errno;
    pair[0] = high_cloexec(pair[0]);
    pair[1] = high_cloexec(pair[1]);
    if (pair[0] < 0 || pair[1] < 0) {
        int saved = errno;
        if (pair[0] >= 0) close(pair[0]);
        if (pair[1] >= 0) close(pair[1]);
        return -saved;
    }
    pid_t child_pid = fork();
    if (child_pid == 0) child(pair[1]);
    int fork_errno = errno;
    close(pair[1]);
    if (child_pid < 0) {
        close(pair[0]);
        return -fork_errno;
    }
    // The child reports 0 once its netlink socket is open, or the errno that stopped it.
    int status = 0;
    ssize_t n;
    do { n = recv(pair[0], &status, sizeof status, 0); } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof status || status != 0) {
        int error = n < 0 ? errno : (n != (ssize_t)sizeof status ? EIO : status);
        close(pair[0]);
        reap_blocking(child_pid);
        return -error;
    }
    *pid = child_pid;
    return pair[0];
}

int cfence_send(int fd, const void *bytes, size_t length) {
    ssize_t sent;
    do { sent = send(fd, bytes, length, MSG_NOSIGNAL | MSG_DONTWAIT); } while (sent < 0 && errno == EINTR);
    if (sent < 0) return -errno;
    return (size_t)sent == length ? 0 : -EMSGSIZE;
}

int64_t cfence_boottime_ns(void) { return boottime_ns(); }

int cfence_reap(pid_t pid) {
    pid_t rc;
    do { rc = waitpid(pid, NULL, WNOHANG); } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -errno;
    return rc == pid ? 1 : 0;
}
