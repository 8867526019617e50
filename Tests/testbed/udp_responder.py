#!/usr/bin/env python3
"""udp_responder.py — answer every UDP datagram with "<label>:<payload>" (runs on a testbed host).

Usage (inside a host namespace, e.g. via `tb_spawn n1 resp-n1 python3 udp_responder.py n1`):

    udp_responder.py LABEL [--port 7000] [--lifetime 3600]

Binds the port on 0.0.0.0 and on :: (IPv6 only), so it answers on whatever address the host holds,
the VIP included. Each reply leaves from the address the datagram was sent to (IP_PKTINFO /
IPV6_PKTINFO), so a client sees the VIP answer, not the host's own address. Exits on SIGTERM/SIGINT
or after --lifetime seconds, whichever comes first. Python 3 standard library only.
"""

import argparse
import select
import signal
import socket
import struct
import sys
import time

# Linux constants (not all exported by the socket module).
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)
MAX_DATAGRAM = 2048

stopping = False


def on_signal(signum, frame):
    global stopping
    stopping = True


def open_sockets(port):
    """One IPv4 and one IPv6-only socket on the port, each asking the kernel for the destination address."""
    v4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    v4.setsockopt(socket.SOL_IP, IP_PKTINFO, 1)
    v4.bind(("0.0.0.0", port))
    v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    v6.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
    v6.bind(("::", port))
    for s in (v4, v6):
        s.setblocking(False)
    return [v4, v6]


def reply_pktinfo(family, ancdata):
    """The ancillary data that makes the reply leave from the datagram's destination address."""
    for level, kind, data in ancdata:
        if family == socket.AF_INET and level == socket.SOL_IP and kind == IP_PKTINFO:
            # struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; } -> send from addr.
            ifindex, _spec, dst = struct.unpack("i4s4s", data[:12])
            return [(socket.SOL_IP, IP_PKTINFO, struct.pack("i4s4s", 0, dst, b"\0" * 4))]
        if family == socket.AF_INET6 and level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO:
            # struct in6_pktinfo { in6_addr addr; int ifindex; } -> send from addr.
            return [(socket.IPPROTO_IPV6, IPV6_PKTINFO, data[:16] + struct.pack("i", 0))]
    return []


def serve(sock, label):
    """Answer every datagram waiting on the socket."""
    while True:
        try:
            payload, ancdata, _flags, peer = sock.recvmsg(MAX_DATAGRAM, 256)
        except BlockingIOError:
            return
        try:
            sock.sendmsg([label + b":" + payload], reply_pktinfo(sock.family, ancdata), 0, peer)
        except OSError as error:  # the address may vanish between receive and send (VIP moved)
            print(f"udp_responder: send to {peer}: {error}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description="Answer UDP datagrams with LABEL:payload.")
    parser.add_argument("label", help="this host's name in replies, e.g. n1")
    parser.add_argument("--port", type=int, default=7000)
    parser.add_argument("--lifetime", type=float, default=3600.0, help="exit after this many seconds")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sockets = open_sockets(args.port)
    label = args.label.encode()
    deadline = time.monotonic() + args.lifetime
    print(f"udp_responder: {args.label} on port {args.port}, lifetime {args.lifetime:g} s", file=sys.stderr)
    while not stopping:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            ready, _, _ = select.select(sockets, [], [], min(remaining, 0.5))
        except InterruptedError:
            continue
        for sock in ready:
            serve(sock, label)
    for sock in sockets:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
