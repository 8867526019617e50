#!/usr/bin/env python3
"""Unit tests of udp_probe.py's analysis (no network, no root): python3 Tests/testbed/test_udp_probe.py"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import udp_probe  # noqa: E402

MS = 1_000_000


def record(replies, sent=None, gap_ms=10, slot_ms=1):
    """replies: (recv_ms, host, seq); seq i is sent at i ms."""
    rec = udp_probe.Recorder()
    for seq in range(sent or (max(r[2] for r in replies) + 1)):
        rec.sent(seq * MS)
    for recv_ms, host, seq in replies:
        rec.reply(int(recv_ms * MS), host, seq, 100_000, gap_ms * MS, slot_ms * MS)
    return rec


class AnalysisTests(unittest.TestCase):
    def test_clean_move_has_one_change_one_silence_no_dual(self):
        replies = [(i + 0.1, "n1", i) for i in range(100)] + [(i + 0.1, "n2", i) for i in range(150, 300)]
        rec = record(replies)
        self.assertEqual([(c["from"], c["to"]) for c in rec.changes], [("n1", "n2")])
        gap, start, end, before, after = rec.longest
        self.assertEqual((gap, before, after), (51 * MS, "n1", "n2"))
        self.assertEqual(len(rec.silences), 1)
        self.assertEqual(rec.same_seq + rec.same_slot + rec.interleaved(1000 * MS), [])

    def test_one_datagram_answered_by_two_hosts_is_same_seq(self):
        rec = record([(0.1, "n1", 0), (0.2, "n2", 0)])
        self.assertEqual([d["kind"] for d in rec.same_seq], ["same-seq"])

    def test_two_hosts_within_a_slot_is_same_slot(self):
        rec = record([(0.1, "n1", 0), (0.5, "n2", 1)])
        self.assertEqual([d["kind"] for d in rec.same_slot], ["same-slot"])

    def test_back_and_forth_within_window_is_interleaved(self):
        replies = [(i + 0.1, "n1", i) for i in range(10)] + [(i + 0.1, "n2", i) for i in range(20, 30)]
        replies += [(i + 0.1, "n1", i) for i in range(40, 50)]
        rec = record(replies)
        self.assertEqual([d["kind"] for d in rec.interleaved(1000 * MS)], ["interleaved"])
        self.assertEqual(rec.interleaved(5 * MS), [])  # outside a 5 ms window: a failback, not a dual

    def test_failover_and_later_failback_is_not_dual(self):
        replies = [(i + 0.1, "n1", i) for i in range(10)] + [(i + 0.1, "n2", i) for i in range(100, 2000)]
        replies += [(i + 0.1, "n1", i) for i in range(2100, 2200)]
        rec = record(replies)
        self.assertEqual(rec.same_seq + rec.same_slot + rec.interleaved(1000 * MS), [])
        self.assertEqual(len(rec.changes), 2)

    def test_events_file_lines_become_marks(self):
        udp_probe.marks.clear()
        events = udp_probe.EventsFile("/nonexistent", t0_real_ns=1_000_000_000_000)
        events.add("kill n1", 5 * MS)
        events.add("@1000.25 stamped", 9 * MS)
        self.assertEqual(udp_probe.marks[0], {"t_ms": 5.0, "label": "kill n1", "source": "file"})
        self.assertEqual(udp_probe.marks[1], {"t_ms": 250.0, "label": "stamped", "source": "file-stamped"})
        udp_probe.marks.clear()


if __name__ == "__main__":
    unittest.main()
