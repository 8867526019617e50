#!/usr/bin/env python3
"""udp_probe.py — a client that pings a VIP over UDP every millisecond and reports what it saw.

Usage (in the client namespace, e.g. `tb_exec cl python3 udp_probe.py 198.18.0.100 --duration 5`):

    udp_probe.py TARGET [--port 7000] [--interval-ms 1] [--duration 10] [--stop-file F]
                 [--events F] [--gap-ms 10] [--slot-ms 1] [--dual-window-ms 1000] [--quiet]

Every interval it sends "<seq> <send-monotonic-ns>" to TARGET:port (IPv4 or IPv6); every host's
udp_responder.py answers "<host>:<same payload>". The probe runs for --duration seconds (0 = until
stopped, capped at 3600 s), or until SIGINT/SIGTERM, or until --stop-file exists. Then it prints one
JSON summary on stdout (and a short human summary on stderr unless --quiet). Times are milliseconds
on the monotonic clock, relative to the probe's start (t0_monotonic_ns / t0_realtime_ns give the origin):

  sent, received, lost, per_host           counts (lost = sequence numbers nobody answered)
  rtt_ms                                   min / p50 / p99 / max round trip
  first_reply_ms, last_reply_ms, trailing_silence_ms
  longest_silence {ms, start_ms, end_ms, before, after}   the client-observed outage: the longest gap
                                           between two consecutive replies, with who answered before/after
  silences [...]                           every such gap of at least --gap-ms
  changes [{t_ms, seq, from, to}]          each reply whose host differs from the previous reply's
  dual [{kind, ...}]                       evidence of two VIP holders — must be empty when healthy:
      same-seq     one datagram answered by two hosts
      same-slot    two hosts answered within --slot-ms of each other (receive time)
      interleaved  in sequence order host A, then B, then A again within --dual-window-ms
  marks [{t_ms, label, source, next_change}]  test-supplied marks (below), each with the first
                                           answerer change after it (delay_ms from the mark)

Marks, to correlate the probe with what a test did:
  * SIGUSR1: the probe records a mark "SIGUSR1 #n" at the instant it handles the signal;
  * --events FILE: the test appends lines to FILE (`echo "kill n1" >>FILE`); the probe polls it every
    5 ms and records each new line as a mark at the time it read it. A line of the form
    "@<unix-seconds> label" (e.g. from `echo "@$(date +%s.%N) kill n1" >>FILE`) is placed at that exact
    wall-clock instant instead. FILE need not exist when the probe starts.

Python 3 standard library only.
"""

import argparse
import array
import json
import os
import select
import signal
import socket
import sys
import time

HARD_CAP_S = 3600.0
MAX_LIST = 1000  # entries kept per list in the summary

stop_requested = False
usr1_count = 0
marks = []
t0_ns = 0


def ms(ns):
    return round(ns / 1e6, 3)


def on_stop(signum, frame):
    global stop_requested
    stop_requested = True


def on_usr1(signum, frame):
    global usr1_count
    if not t0_ns:
        return  # not started yet
    usr1_count += 1
    marks.append({"t_ms": ms(time.monotonic_ns() - t0_ns), "label": f"SIGUSR1 #{usr1_count}", "source": "signal"})


class EventsFile:
    """Reads lines appended to a file and turns each into a mark."""

    def __init__(self, path, t0_real_ns):
        self.path, self.offset, self.partial, self.t0_real_ns = path, 0, b"", t0_real_ns

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        if not data:
            return
        now_rel = time.monotonic_ns() - t0_ns
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        for raw in lines:
            self.add(raw.decode(errors="replace").strip(), now_rel)

    def add(self, line, now_rel):
        if not line:
            return
        mark = {"t_ms": ms(now_rel), "label": line, "source": "file"}
        head, _, rest = line.partition(" ")
        if head.startswith("@"):
            try:
                stamp_ns = int(float(head[1:]) * 1e9)
                mark.update(t_ms=ms(stamp_ns - self.t0_real_ns), label=rest.strip(), source="file-stamped")
            except ValueError:
                pass
        marks.append(mark)


class Recorder:
    """Keeps what the analysis needs: per-sequence answerer and send time, replies in arrival order."""

    def __init__(self):
        self.hosts = []  # index -> label
        self.index = {}  # label -> index
        self.answerer = array.array("h")  # per seq: host index, -1 none
        self.send_ns = array.array("q")  # per seq: send time relative to t0
        self.rtt_us = array.array("l")
        self.per_host = {}
        self.received = 0
        self.same_seq = []
        self.last = None  # (recv_ns, host) of the previous reply
        self.first_recv = None
        self.longest = None  # (gap_ns, start_ns, end_ns, before, after) of the longest gap
        self.silences = []  # every gap of at least --gap-ms, same shape
        self.changes = []
        self.same_slot = []

    def sent(self, send_rel_ns):
        self.answerer.append(-1)
        self.send_ns.append(send_rel_ns)

    def host_index(self, label):
        if label not in self.index:
            self.index[label] = len(self.hosts)
            self.hosts.append(label)
        return self.index[label]

    def reply(self, recv_ns, label, seq, rtt_ns, gap_ns, slot_ns):
        self.received += 1
        self.per_host[label] = self.per_host.get(label, 0) + 1
        index = self.host_index(label)
        self.rtt_us.append(rtt_ns // 1000)
        previous = self.answerer[seq]
        if previous >= 0 and previous != index:
            self.same_seq.append({"kind": "same-seq", "seq": seq, "hosts": [self.hosts[previous], label],
                                  "t_ms": ms(recv_ns)})
        self.answerer[seq] = index
        if self.last is None:
            self.first_recv = recv_ns
        else:
            last_ns, last_host = self.last
            gap = recv_ns - last_ns
            self.note_gap(gap, last_ns, recv_ns, last_host, label, gap_ns)
            if last_host != label:
                self.changes.append({"t_ms": ms(recv_ns), "seq": seq, "from": last_host, "to": label})
                if slot_ns > 0 and gap < slot_ns:
                    self.same_slot.append({"kind": "same-slot", "t_ms": ms(recv_ns), "seq": seq,
                                           "hosts": [last_host, label], "apart_ms": ms(gap)})
        self.last = (recv_ns, label)

    def note_gap(self, gap, start, end, before, after, gap_ns):
        entry = (gap, start, end, before, after)
        if self.longest is None or gap > self.longest[0]:
            self.longest = entry
        if gap >= gap_ns and len(self.silences) < MAX_LIST:
            self.silences.append(entry)

    def interleaved(self, window_ns):
        """Runs in sequence order: A, B, A again with the two A runs closer than the window."""
        found, runs = [], []  # runs: [host, first_send_ns, last_send_ns]
        for seq, host in enumerate(self.answerer):
            if host < 0:
                continue
            if runs and runs[-1][0] == host:
                runs[-1][2] = self.send_ns[seq]
                continue
            for back in range(len(runs) - 2, -1, -1):
                if self.send_ns[seq] - runs[back][2] > window_ns:
                    break
                if runs[back][0] == host:
                    found.append({"kind": "interleaved", "seq": seq, "t_ms": ms(self.send_ns[seq]),
                                  "hosts": [self.hosts[host], self.hosts[runs[-1][0]]]})
                    break
            runs.append([host, self.send_ns[seq], self.send_ns[seq]])
        return found


def open_socket(target, port):
    info = socket.getaddrinfo(target, port, 0, socket.SOCK_DGRAM)[0]
    sock = socket.socket(info[0], socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.setblocking(False)
    return sock, info[4]


def same_address(a, b):
    family = socket.AF_INET6 if ":" in a else socket.AF_INET
    try:
        return socket.inet_pton(family, a.split("%")[0]) == socket.inet_pton(family, b.split("%")[0])
    except OSError:
        return False


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def run(args):
    """The send/receive loop; returns (recorder, counters, t0_realtime_ns, elapsed_ns)."""
    global t0_ns
    sock, dest = open_socket(args.target, args.port)
    interval = int(args.interval_ms * 1e6)
    duration = args.duration if args.duration > 0 else HARD_CAP_S
    rec = Recorder()
    counters = {"sent": 0, "send_errors": 0, "foreign": 0, "malformed": 0, "late_resets": 0}
    t0_ns, t0_real_ns = time.monotonic_ns(), time.time_ns()
    events = EventsFile(args.events, t0_real_ns) if args.events else None
    end_ns = t0_ns + int(min(duration, HARD_CAP_S) * 1e9)
    next_send, next_poll, gap_ns, slot_ns = t0_ns, t0_ns, int(args.gap_ms * 1e6), int(args.slot_ms * 1e6)
    while not stop_requested:
        now = time.monotonic_ns()
        if now >= end_ns:
            break
        if now >= next_send:
            send_one(sock, dest, rec, counters, now)
            next_send += interval
            if now - next_send > 20 * interval:  # we fell far behind (stopped, swapped): skip, don't burst
                counters["late_resets"] += 1
                next_send = now + interval
        receive_all(sock, args.target, rec, counters, gap_ns, slot_ns)
        if now >= next_poll:
            next_poll = now + 5_000_000
            if events:
                events.poll()
            if args.stop_file and os.path.exists(args.stop_file):
                break
        timeout = max(0, min(next_send, next_poll) - time.monotonic_ns()) / 1e9
        select.select([sock], [], [], timeout)
    end = time.monotonic_ns()
    deadline = end + 50_000_000  # collect replies still in flight, without sending
    while time.monotonic_ns() < deadline:
        select.select([sock], [], [], 0.005)
        receive_all(sock, args.target, rec, counters, gap_ns, slot_ns)
    if events:
        events.poll()
    sock.close()
    return rec, counters, t0_real_ns, end - t0_ns


def send_one(sock, dest, rec, counters, now):
    seq = counters["sent"]
    rec.sent(now - t0_ns)
    counters["sent"] += 1
    try:
        sock.sendto(f"{seq} {now}".encode(), dest)
    except OSError:
        counters["send_errors"] += 1


def receive_all(sock, target, rec, counters, gap_ns, slot_ns):
    while True:
        try:
            data, peer = sock.recvfrom(2048)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # e.g. ICMP errors queued on the socket
            continue
        now = time.monotonic_ns()
        if not same_address(target, peer[0]):
            counters["foreign"] += 1
            continue
        try:
            label, _, rest = data.decode().partition(":")
            seq_text, stamp_text = rest.split()
            seq, stamp = int(seq_text), int(stamp_text)
            if not label or not 0 <= seq < len(rec.answerer):
                raise ValueError
        except ValueError:
            counters["malformed"] += 1
            continue
        rec.reply(now - t0_ns, label, seq, now - stamp, gap_ns, slot_ns)


def summarize(args, rec, counters, t0_real_ns, elapsed_ns):
    answered = sum(1 for a in rec.answerer if a >= 0)
    rtts = sorted(rec.rtt_us)
    longest = None
    if rec.longest:
        gap, start, end, before, after = rec.longest
        longest = {"ms": ms(gap), "start_ms": ms(start), "end_ms": ms(end), "before": before, "after": after}
    dual = rec.same_seq + rec.same_slot + rec.interleaved(int(args.dual_window_ms * 1e6))
    last_ns = rec.last[0] if rec.last else None
    for mark in marks:
        after = [c for c in rec.changes if c["t_ms"] >= mark["t_ms"]]
        mark["next_change"] = dict(after[0], delay_ms=round(after[0]["t_ms"] - mark["t_ms"], 3)) if after else None
    return {
        "target": args.target, "port": args.port, "interval_ms": args.interval_ms,
        "t0_monotonic_ns": t0_ns, "t0_realtime_ns": t0_real_ns, "duration_ms": ms(elapsed_ns),
        **counters, "received": rec.received, "answered": answered, "lost": counters["sent"] - answered,
        "per_host": rec.per_host,
        "rtt_ms": {"min": rtts[0] / 1000, "p50": percentile(rtts, 0.5) / 1000,
                   "p99": percentile(rtts, 0.99) / 1000, "max": rtts[-1] / 1000} if rtts else None,
        "first_reply_ms": ms(rec.first_recv) if rec.first_recv is not None else None,
        "last_reply_ms": ms(last_ns) if last_ns is not None else None,
        "trailing_silence_ms": ms(elapsed_ns - last_ns) if last_ns is not None else None,
        "longest_silence": longest,
        "silences": [{"ms": ms(g), "start_ms": ms(s), "end_ms": ms(e), "before": b, "after": a}
                     for g, s, e, b, a in rec.silences],
        "changes": rec.changes[:MAX_LIST], "dual": dual[:MAX_LIST], "marks": marks[:MAX_LIST],
    }


def human(summary):
    s = summary
    lines = [f"probe {s['target']}:{s['port']}: sent {s['sent']} received {s['received']} lost {s['lost']} "
             f"in {s['duration_ms'] / 1000:.2f} s; per host {s['per_host']}"]
    if s["longest_silence"]:
        l = s["longest_silence"]
        lines.append(f"longest silence {l['ms']} ms ({l['start_ms']} → {l['end_ms']} ms, {l['before']} → {l['after']})")
    for c in s["changes"][:20]:
        lines.append(f"change at {c['t_ms']} ms: {c['from']} → {c['to']}")
    lines.append(f"dual answers: {len(s['dual'])}" + (f" first {s['dual'][0]}" if s["dual"] else ""))
    for m in s["marks"][:20]:
        lines.append(f"mark {m['t_ms']} ms {m['label']!r} next change {m['next_change']}")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description="Probe a VIP over UDP; JSON summary on stdout.")
    p.add_argument("target", help="VIP address (IPv4 or IPv6)")
    p.add_argument("--port", type=int, default=7000)
    p.add_argument("--interval-ms", type=float, default=1.0, help="send interval (default 1 ms)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds; 0 = until stopped (cap 3600)")
    p.add_argument("--stop-file", help="stop as soon as this file exists")
    p.add_argument("--events", help="file of mark lines appended by the test")
    p.add_argument("--gap-ms", type=float, default=10.0, help="list every silence at least this long")
    p.add_argument("--slot-ms", type=float, default=1.0, help="two hosts within this = dual (0 = off)")
    p.add_argument("--dual-window-ms", type=float, default=1000.0, help="A,B,A within this = dual")
    p.add_argument("--quiet", action="store_true", help="no human summary on stderr")
    args = p.parse_args()
    if args.interval_ms <= 0:
        p.error("--interval-ms must be positive")
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGUSR1, on_usr1)
    summary = summarize(args, *run(args))
    json.dump(summary, sys.stdout, indent=1)
    sys.stdout.write("\n")
    if not args.quiet:
        print(human(summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
