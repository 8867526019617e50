// The libmnl surface plus the few Linux socket pieces Swift cannot import directly (macros, variadic
// functions, sockaddr_ll). Only static inline wrappers and prefixed constants; no logic.
#ifndef SC_CLIBMNL_SHIM_H
#define SC_CLIBMNL_SHIM_H
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>

static const unsigned int SC_MNL_SOCKET_AUTOPID = MNL_SOCKET_AUTOPID;
static const int SC_NETLINK_ROUTE = NETLINK_ROUTE;
static const int SC_NETLINK_EXT_ACK = NETLINK_EXT_ACK;
static const int SC_NETLINK_CAP_ACK = NETLINK_CAP_ACK;
static const int SC_CLONE_NEWNET = 0x40000000;

/// setns(2) for a network namespace; glibc only declares it under _GNU_SOURCE.
static inline int sc_setns_net(int fd) { return (int)syscall(SYS_setns, fd, SC_CLONE_NEWNET); }

/// pipe2(O_CLOEXEC | O_NONBLOCK); glibc only declares pipe2 under _GNU_SOURCE.
static inline int sc_pipe_cloexec_nonblock(int fds[2]) { return (int)syscall(SYS_pipe2, fds, O_CLOEXEC | O_NONBLOCK); }

/// socket(AF_PACKET, SOCK_RAW, htons(protocol)); protocol 0 receives nothing.
static inline int sc_packet_socket(unsigned short protocol) {
    return socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(protocol));
}

/// Attaches a classic BPF program that drops every frame (`ret #0`), for send-only sockets.
static inline int sc_attach_drop_all_filter(int fd) {
    struct sock_filter code[1] = { BPF_STMT(BPF_RET | BPF_K, 0) };
    struct sock_fprog prog = { .len = 1, .filter = code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

/// bind(2) a packet socket to one interface and ethertype (for receiving).
static inline int sc_packet_bind(int fd, int ifindex, unsigned short protocol) {
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof(sll));
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(protocol);
    sll.sll_ifindex = ifindex;
    return bind(fd, (struct sockaddr *)&sll, sizeof(sll));
}

/// sendto(2) of a complete Ethernet frame out of `ifindex`.
static inline long sc_packet_sendto(int fd, const void *frame, size_t len, int ifindex) {
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof(sll));
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex;
    sll.sll_halen = 6;
    if (len >= 6) memcpy(sll.sll_addr, frame, 6);
    if (len >= 14) memcpy(&sll.sll_protocol, (const unsigned char *)frame + 12, 2);
    return sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll));
}

/// setsockopt(fd, SOL_SOCKET, SO_RCVBUF or SO_RCVBUFFORCE, size).
static inline int sc_set_receive_buffer(int fd, int size, int force) {
    return setsockopt(fd, SOL_SOCKET, force ? SO_RCVBUFFORCE : SO_RCVBUF, &size, sizeof(size));
}

#endif
