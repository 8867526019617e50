#!/usr/bin/env python3
"""unsolicited_na.py — the IPv6 counterpart of a gratuitous ARP (run on the host that now holds ADDR).

Usage (inside a host namespace; `tb_announce n2 2001:db8:18::100` calls it):

    unsolicited_na.py IFACE ADDR [--count 1]

Sends an unsolicited Neighbour Advertisement (RFC 4861 §7.2.6: Override flag set, Solicited clear)
for ADDR with IFACE's MAC as target link-layer address, from ADDR to all-nodes ff02::1, hop limit 255.
Neighbours that already have an entry for ADDR switch it to this MAC. The kernel fills in the ICMPv6
checksum on raw ICMPv6 sockets. Needs CAP_NET_RAW. Python 3 standard library only.
"""

import argparse
import socket
import struct
import sys
import time

ND_NEIGHBOR_ADVERT = 136
NA_FLAG_OVERRIDE = 0x20000000
OPT_TARGET_LLADDR = 2


def advertisement(addr, mac):
    """ICMPv6 NA: type, code, checksum (0, kernel fills), flags, target, target link-layer address option."""
    header = struct.pack("!BBHI", ND_NEIGHBOR_ADVERT, 0, 0, NA_FLAG_OVERRIDE)
    option = struct.pack("!BB", OPT_TARGET_LLADDR, 1) + mac
    return header + socket.inet_pton(socket.AF_INET6, addr) + option


def main():
    parser = argparse.ArgumentParser(description="Send an unsolicited IPv6 neighbour advertisement.")
    parser.add_argument("iface")
    parser.add_argument("addr")
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()
    with open(f"/sys/class/net/{args.iface}/address") as f:
        mac = bytes.fromhex(f.read().strip().replace(":", ""))
    ifindex = socket.if_nametoindex(args.iface)
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    sock.bind((args.addr, 0, 0, ifindex))  # source = the announced address (must be on the interface)
    packet = advertisement(args.addr, mac)
    for i in range(max(1, min(args.count, 10))):
        if i:
            time.sleep(0.01)
        sock.sendto(packet, ("ff02::1", 0, 0, ifindex))
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
