#!/usr/bin/env python3
"""dual_check.py — did two hosts ever hold the VIP at the same instant? Exact, from kernel events.

Each host runs `ip -ts monitor address` (started before any agent); its RTM_NEWADDR / RTM_DELADDR lines carry
microsecond wall-clock timestamps from one machine clock, so intervals from different hosts compare exactly.

Usage: dual_check.py VIP ALLOW_FILE HOST=LOG [HOST=LOG ...]
ALLOW_FILE (may be missing) holds lines "<iso-time> start" / "<iso-time> end" bracketing windows in which a
test creates a second holder on purpose. Prints a JSON summary; exits 1 if an overlap falls outside them.
"""
import json
import re
import sys
from datetime import datetime

LINE = re.compile(r"^\[(?P<ts>[0-9T:.\-]+)\] (?P<deleted>Deleted )?\d+: \S+\s+inet6? (?P<addr>[0-9a-fA-F.:]+)/\d+")


def parse_time(text):
    return datetime.fromisoformat(text).timestamp()


def intervals(path, vip):
    """[(start, end)] during which the host held the VIP (end = inf if still held)."""
    held_since = None
    result = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m or m.group("addr") != vip:
                continue
            t = parse_time(m.group("ts"))
            if m.group("deleted"):
                if held_since is not None:
                    result.append((held_since, t))
                held_since = None
            elif held_since is None:
                held_since = t
    if held_since is not None:
        result.append((held_since, float("inf")))
    return result


def allowed_windows(path):
    windows, start = [], None
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                stamp, _, what = line.strip().partition(" ")
                if what == "start":
                    start = parse_time(stamp)
                elif what == "end" and start is not None:
                    windows.append((start, parse_time(stamp)))
                    start = None
    except FileNotFoundError:
        pass
    if start is not None:
        windows.append((start, float("inf")))
    return windows


def main():
    vip, allow = sys.argv[1], sys.argv[2]
    hosts = dict(arg.split("=", 1) for arg in sys.argv[3:])
    held = {host: intervals(path, vip) for host, path in hosts.items()}
    windows = allowed_windows(allow)
    overlaps = []
    names = sorted(held)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for s1, e1 in held[a]:
                for s2, e2 in held[b]:
                    start, end = max(s1, s2), min(e1, e2)
                    if start < end and not any(ws <= start and end <= we for ws, we in windows):
                        overlaps.append({"hosts": [a, b], "start": datetime.fromtimestamp(start).isoformat(),
                                         "ms": None if end == float("inf") else round((end - start) * 1000, 3)})
    summary = {"vip": vip, "holdings": {h: len(v) for h, v in held.items()}, "overlaps": overlaps}
    print(json.dumps(summary))
    return 1 if overlaps else 0


if __name__ == "__main__":
    sys.exit(main())
