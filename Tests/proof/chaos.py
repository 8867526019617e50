#!/usr/bin/env python3
"""chaos.py — the campaign behind Tests/proof/chaos.sh (run by it, inside the testbed's lan namespace).

chaos.sh builds the LAN (three hosts, a client, nats-server), starts `ip -ts monitor address` on every host,
the UDP responders and the client probe, then runs this script, which:

* starts the three agents (`swift-cluster daemon`, tracked in the testbed's pids directory so that tb_down
  stops them whatever happens);
* observes, in a background thread with its own NATS connection (127.0.0.1 in the lan namespace, so it keeps
  seeing the servers while they are cut off from the LAN), every node's status (`cluster_<id>.status.<node>`,
  what `swift-cluster status --json --node N` prints) and the lease in the KV, every 200 ms;
* runs rounds of seeded random faults (one fault, or two overlapping on different hosts), heals everything,
  and measures how long until exactly one host holds the VIP (kernel) and every running node's status
  agrees on it (must be within TTL + 1 s);
* at the end stops the probe and checks: the probe's `dual` list, the kernel address events
  (Tests/e2e/dual_check.py), epochs per node, leaders' epochs over time, the lease's epochs by revision.

Every random choice comes from random.Random(seed), drawn in a fixed pattern per fault, so a seed replays the
same sequence of fault kinds, durations, delays and target choices ("the leader" is whoever leads then).
Python 3 standard library plus nats-py (the observer).
"""

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TESTBED = os.path.join(ROOT, "Tests", "testbed", "testbed.sh")
DUAL_CHECK = os.path.join(ROOT, "Tests", "e2e", "dual_check.py")
HOSTS = ["n1", "n2", "n3"]

# Fault kinds and their weights. "host" faults hit one host; "nats" faults hit the servers.
KINDS = [
    ("kill9", 3.0, "host"),          # SIGKILL of an agent (the leader's, mostly), restarted after a random delay
    ("sigstop", 2.0, "host"),        # SIGSTOP of the leader's agent for longer than the TTL, then SIGCONT
    ("isolate", 2.0, "host"),        # the host's bridge port down (carrier lost: crash, unplugged cable)
    ("partition", 2.0, "host"),      # the host's bridge port disabled (carrier stays up: silent partition)
    ("link-flap", 1.5, "host"),      # the host's own eth0 down, then up
    ("vip-delete", 1.5, "host"),     # `ip addr del` of the VIP on its holder, behind the agent's back
    ("nats-isolate", 1.5, "nats"),   # NATS cut off from the LAN (every host loses it at once)
    ("nats-restart", 1.0, "nats"),   # the NATS server (or one server of the cluster) stopped or killed, restarted
]

stop_requested = False


def on_signal(signum, frame):
    global stop_requested
    stop_requested = True


def now():
    return time.time()


def iso(t):
    return time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % int((t % 1) * 1000)


class Observer:
    """Polls every node's status and the lease in the KV over NATS, in a thread of its own."""

    def __init__(self, urls, cluster, nodes, python_log):
        self.urls, self.cluster, self.nodes = urls, cluster, nodes
        self.lock = threading.Lock()
        self.status = []   # (t_send, t_recv, node, dict)
        self.lease = []    # (t_send, t_recv, revision, dict or None)
        self.latest = {}   # node -> (t_send, t_recv, dict)
        self.errors = 0
        self.log = python_log
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def _run(self):
        asyncio.run(self._main())

    async def _main(self):
        import nats
        from nats.js.errors import KeyNotFoundError, NotFoundError, BucketNotFoundError

        async def quiet(*_):
            pass

        nc = None
        while not self.stop and nc is None:
            try:
                nc = await nats.connect(servers=self.urls, connect_timeout=1, reconnect_time_wait=0.2,
                                        max_reconnect_attempts=-1, allow_reconnect=True, ping_interval=1,
                                        max_outstanding_pings=2, error_cb=quiet, disconnected_cb=quiet)
            except Exception:
                await asyncio.sleep(0.2)
        js = nc.jetstream()
        bucket = f"KV_CLUSTER_{self.cluster}"

        async def status(node):
            t_send = now()
            try:
                msg = await nc.request(f"cluster_{self.cluster}.status.{node}", b"", timeout=0.5)
                d = json.loads(msg.data)
            except Exception:
                return
            t_recv = now()
            with self.lock:
                self.status.append((t_send, t_recv, node, d))
                self.latest[node] = (t_send, t_recv, d)
            self.log.write(json.dumps({"obs": "status", "t_send": t_send, "t_recv": t_recv, "node": node,
                                       "status": d}) + "\n")

        async def lease():
            t_send = now()
            try:
                # Read from the stream leader (not a direct get, which any replica of an R3 stream may answer
                # with what it has so far).
                m = await js.get_last_msg(f"KV_{bucket}", f"$KV.{bucket}.leader", direct=False)
                op = (m.headers or {}).get("KV-Operation")
                rev, value = m.seq, (json.loads(m.data) if m.data and not op else None)
            except (KeyNotFoundError, NotFoundError, BucketNotFoundError):
                return
            except Exception:
                return
            t_recv = now()
            with self.lock:
                self.lease.append((t_send, t_recv, rev, value))
            self.log.write(json.dumps({"obs": "lease", "t_send": t_send, "t_recv": t_recv, "revision": rev,
                                       "value": value}) + "\n")

        async def every(poll):
            # Each node (and the lease) on its own 200 ms cycle: a stopped node's timeouts delay no one else.
            while not self.stop:
                t0 = now()
                await poll()
                await asyncio.sleep(max(0.0, 0.2 - (now() - t0)))

        await asyncio.gather(*(every(lambda n=n: status(n)) for n in self.nodes), every(lease))
        await nc.close()


class Campaign:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.env = dict(os.environ, SC_RUN=a.run)
        self.agents = {}      # host -> Popen
        self.stopped = set()  # hosts whose agent is SIGSTOPped
        self.broken = {}      # (heal op, args...) for every testbed fault not yet undone
        self.violations = []
        self.faults = {k: 0 for k, _, _ in KINDS}
        self.recoveries = []  # (seconds, round, kinds)
        self.rounds = 0
        os.makedirs(a.out, exist_ok=True)
        self.chaos_log = open(os.path.join(a.out, "chaos.log"), "a", buffering=1)
        self.obs_log = open(os.path.join(a.out, "observations.jsonl"), "a", buffering=1)
        self.events = open(os.path.join(a.run_dir, "events"), "a", buffering=1)
        if a.nats_cluster:
            urls = ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "nats://127.0.0.1:4224"]
        else:
            urls = ["nats://127.0.0.1:4222"]
        self.observer = Observer(urls, a.cluster, HOSTS, self.obs_log)
        self.t_start = now()

    # ------------------------------------------------------------------ logging

    def log(self, text, mark=False):
        t = now()
        line = f"[{iso(t)} +{t - self.t_start:7.2f}s] {text}"
        self.chaos_log.write(line + "\n")
        if not self.a.quiet_log:
            print(line, flush=True)
        if mark:
            self.events.write(f"@{t:.6f} {text}\n")

    def violation(self, kind, detail):
        t = now()
        v = {"kind": kind, "time": iso(t), "round": self.rounds, "seed": self.a.seed, "detail": detail}
        self.violations.append(v)
        self.log(f"VIOLATION {kind}: {json.dumps(detail)}", mark=True)
        if self.a.nats_cluster and len(self.violations) <= 20:
            self.snapshot_streams(f"violation-{len(self.violations)}")

    def snapshot_streams(self, label):
        """With a NATS cluster: every server's view of the streams (/jsz), to see replicas disagree."""
        import urllib.request
        views = {}
        for i in (1, 2, 3):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{8221 + i}/jsz?streams=true", timeout=2) as r:
                    d = json.load(r)
            except Exception as e:
                views[f"server{i}"] = {"error": str(e)}
                continue
            views[f"server{i}"] = {
                st["name"]: {"first_seq": st["state"]["first_seq"], "last_seq": st["state"]["last_seq"],
                             "messages": st["state"]["messages"], "leader": st.get("cluster", {}).get("leader")}
                for acc in d.get("account_details", []) for st in acc.get("stream_detail", [])}
        with open(os.path.join(self.a.out, "streams.jsonl"), "a") as f:
            f.write(json.dumps({"time": iso(now()), "label": label, "servers": views}) + "\n")
        return views

    # ------------------------------------------------------------------ testbed

    def tb(self, *args, check=False):
        r = subprocess.run([TESTBED, *args], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, timeout=60)
        if r.returncode != 0:
            self.log(f"testbed {' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
            if check:
                raise RuntimeError(f"testbed {args} failed")
        return r.returncode == 0

    def ns(self, host):
        return f"sc-{self.a.run}-{host}"

    def holders(self):
        found = []
        for h in HOSTS:
            out = subprocess.run(["ip", "-n", self.ns(h), "-o", "-4", "addr", "show", "dev", "eth0"],
                                 capture_output=True, text=True).stdout
            if f" {self.a.vip}/" in out:
                found.append(h)
        return found

    # ------------------------------------------------------------------ agents

    def pidfile(self, host):
        return os.path.join(self.a.run_dir, "pids", f"agent-{host}")

    def start_agent(self, host):
        assert host not in self.agents
        logf = open(os.path.join(self.a.run_dir, "log", f"agent-{host}.log"), "a")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(host), self.a.binary, "daemon", "-c",
                              os.path.join(self.a.run_dir, f"{host}.json")],
                             stdin=subprocess.DEVNULL, stdout=logf, stderr=logf)
        logf.close()
        with open(self.pidfile(host), "w") as f:
            f.write(f"{p.pid} {self.ns(host)}\n")
        self.agents[host] = p

    def signal_agent(self, host, sig):
        p = self.agents.get(host)
        if p is None or p.poll() is not None:
            return False
        os.kill(p.pid, sig)
        return True

    def kill_agent(self, host):
        p = self.agents.pop(host, None)
        if p is None:
            return
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
        self.stopped.discard(host)
        try:
            os.unlink(self.pidfile(host))
        except FileNotFoundError:
            pass

    def running(self):
        """Hosts whose agent process runs (and is not stopped)."""
        return [h for h in HOSTS if h in self.agents and self.agents[h].poll() is None and h not in self.stopped]

    def check_agents_alive(self):
        for h, p in list(self.agents.items()):
            if p.poll() is not None:
                self.violation("agent-exited", {"host": h, "status": p.returncode})
                self.agents.pop(h)
                self.start_agent(h)

    # ------------------------------------------------------------------ the leader, as seen now

    def leader(self):
        hs = self.holders()
        if len(hs) == 1:
            return hs[0]
        with self.observer.lock:
            for h, (_, _, d) in self.observer.latest.items():
                if d.get("role") == "PRIMARY":
                    return h
        return None

    def settled(self, since):
        """Exactly one VIP holder in the kernel, its agent says PRIMARY, every running node (status received
        after `since`) names it leader. Returns the holder or None."""
        hs = self.holders()
        if len(hs) > 1:
            self.violation("two-holders-netlink", {"holders": hs})
        if len(hs) != 1:
            return None
        h = hs[0]
        with self.observer.lock:
            latest = dict(self.observer.latest)
        epochs = set()
        for node in self.running():
            obs = latest.get(node)
            if obs is None or obs[0] < since:
                return None
            d = obs[2]
            if d.get("leader") != h:
                return None
            epochs.add(d.get("epoch"))
            if len(epochs) > 1:
                return None
            if (d.get("role") == "PRIMARY") != (node == h):
                return None
        if h not in self.running():
            return None
        return h

    def wait_settled(self, since, deadline_s, hard_s):
        """Polls until settled; returns (seconds from `since`, holder) or (None, None) after hard_s."""
        while now() - since < hard_s:
            h = self.settled(since)
            if h is not None:
                return now() - since, h
            time.sleep(0.02)
        return None, None

    # ------------------------------------------------------------------ faults

    def draw_fault(self):
        """One fault's random choices, always the same number of draws whatever the kind."""
        total = sum(w for _, w, _ in KINDS)
        x = self.rng.random() * total
        for kind, w, scope in KINDS:
            if x < w:
                break
            x -= w
        u = [self.rng.random() for _ in range(4)]
        return {"kind": kind, "scope": scope, "u": u}

    def plan_round(self):
        first = self.draw_fault()
        overlap = self.rng.random() < 0.25
        second = self.draw_fault()
        offset = self.rng.random() * 2.0
        pause = 0.3 + self.rng.random() * 1.7
        faults = [first]
        if overlap and not (first["scope"] == "nats" and second["scope"] == "nats"):
            second["offset"] = offset
            faults.append(second)
        first["offset"] = 0.0
        return faults, pause

    def pick_host(self, u, mode, busy):
        """mode: 'leader' (the leader if it is free, else a random free host) or 'random'."""
        free = [h for h in HOSTS if h not in busy and h in self.agents]
        if not free:
            return None
        if mode == "leader":
            l = self.leader()
            if l in free:
                return l
        return free[int(u * len(free)) % len(free)]

    def schedule(self, f, busy):
        """Turns a drawn fault into [(offset, label, action)] events; resolves its target now."""
        kind, u, t0 = f["kind"], f["u"], f["offset"]
        ttl = self.a.ttl_ms / 1000
        quick = self.a.quick
        mode = "leader" if u[0] < (1.0 if kind in ("sigstop", "vip-delete") else 0.7) else "random"
        if f["scope"] == "host":
            host = self.pick_host(u[1], mode, busy)
            if host is None:
                return None, []
            busy.add(host)
        else:
            host = None
        ev = []
        if kind == "kill9":
            delay = 0.3 + u[2] * (5.0 if quick else 9.0)
            ev.append((t0, f"kill -9 agent on {host}", lambda: self.kill_agent(host)))
            ev.append((t0 + delay, f"restart agent on {host}", lambda: self.start_agent(host)))
        elif kind == "sigstop":
            dur = ttl + 0.3 + u[2] * (2.0 if quick else 4.0)

            def stop():
                if self.signal_agent(host, signal.SIGSTOP):
                    self.stopped.add(host)

            def cont():
                if host in self.stopped:
                    self.signal_agent(host, signal.SIGCONT)
                    self.stopped.discard(host)
            ev.append((t0, f"SIGSTOP agent on {host} ({dur:.1f} s)", stop))
            ev.append((t0 + dur, f"SIGCONT agent on {host}", cont))
        elif kind in ("isolate", "partition", "link-flap"):
            dur = 0.3 + u[2] * (6.0 if quick else 10.0)
            if kind == "link-flap":
                dur = 0.2 + u[2] * 5.0
            cut, heal = {"isolate": ("isolate", "heal"), "partition": ("partition", "unpartition"),
                         "link-flap": ("link-down", "link-up")}[kind]
            ev.append((t0, f"{cut} {host} ({dur:.1f} s)", lambda: self.cut(cut, heal, host)))
            ev.append((t0 + dur, f"{heal} {host}", lambda: self.mend(heal, host)))
        elif kind == "vip-delete":
            def delete():
                r = subprocess.run(["ip", "-n", self.ns(host), "addr", "del", f"{self.a.vip}/24", "dev", "eth0"],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    self.log(f"  (no VIP on {host} to delete)")
            ev.append((t0, f"ip addr del VIP on {host}", delete))
        elif kind == "nats-isolate":
            dur = 0.5 + u[2] * (6.0 if quick else 10.0)
            ev.append((t0, f"nats-isolate ({dur:.1f} s)", lambda: self.cut("nats-isolate", "nats-heal")))
            ev.append((t0 + dur, "nats-heal", lambda: self.mend("nats-heal")))
        elif kind == "nats-restart":
            down = u[2] * 4.0
            how = "KILL" if u[3] < 0.5 else "TERM"
            if self.a.nats_cluster:
                i = str(1 + int(u[1] * 3) % 3)
                ev.append((t0, f"nats server {i} stopped (SIG{how}, {down:.1f} s)",
                           lambda: (self.broken.__setitem__(("nats-start-one", i), True),
                                    self.tb("nats-kill-one", i, how))))
                ev.append((t0 + down, f"nats server {i} started", lambda: self.mend("nats-start-one", i, check=True)))
            else:
                ev.append((t0, f"nats-server stopped (SIG{how}, {down:.1f} s)",
                           lambda: self.cut("nats-kill" if how == "KILL" else "nats-stop", "nats-start")))
                ev.append((t0 + down, "nats-server started", lambda: self.mend("nats-start", check=True)))
        return host, ev

    def cut(self, op, heal_op, *args):
        """A testbed fault (`op`), remembered with the testbed call that undoes it until that runs."""
        self.broken[(heal_op, *args)] = True
        self.tb(op, *args)

    def mend(self, heal_op, *args, check=False):
        self.tb(heal_op, *args, check=check)
        self.broken.pop((heal_op, *args), None)

    def heal_all(self):
        """Whatever a round may have left broken: every cut healed, every agent running and awake."""
        for key in list(self.broken):
            self.log(f"  safety net: {' '.join(key)}")
            self.mend(*key)
        for h in HOSTS:
            if h in self.stopped:
                self.log(f"  safety net: SIGCONT {h}")
                self.signal_agent(h, signal.SIGCONT)
                self.stopped.discard(h)
            if h not in self.agents:
                self.log(f"  safety net: start agent on {h}")
                self.start_agent(h)

    def run_round(self):
        faults, pause = self.plan_round()
        self.rounds += 1
        busy, events, kinds = set(), [], []
        t_round = now()
        for f in faults:
            host, ev = self.schedule(f, busy)
            if not ev:
                continue
            kinds.append(f["kind"])
            self.faults[f["kind"]] += 1
            events += ev
        events.sort(key=lambda e: e[0])
        self.log(f"round {self.rounds}: {' + '.join(kinds)}", mark=False)
        for offset, label, action in events:
            while now() < t_round + offset:
                if stop_requested:
                    break
                time.sleep(min(0.05, t_round + offset - now()))
            self.log(f"  {label}", mark=True)
            action()
        self.heal_all()
        t_heal = now()
        bound = self.a.ttl_ms / 1000 + 1.0
        took, holder = self.wait_settled(t_heal, bound, hard_s=30.0)
        if took is None:
            self.violation("no-leader-after-heal", {"kinds": kinds, "waited_s": 30.0, "holders": self.holders(),
                                                    "status": self.latest_summary()})
        else:
            self.recoveries.append((took, self.rounds, kinds))
            if took > bound:
                self.violation("slow-recovery", {"kinds": kinds, "seconds": round(took, 3), "bound_s": bound})
            self.log(f"  settled: {holder} leads, {took:.2f} s after the heal")
            self.cli_cross_check(holder)
        self.check_agents_alive()
        time.sleep(pause)

    def cli_cross_check(self, holder):
        """`swift-cluster status --json --node HOLDER` from the client: the shipped CLI sees the same leader."""
        t_send = now()
        r = subprocess.run(["ip", "netns", "exec", self.ns("cl"), self.a.binary, "status", "--json", "--node", holder,
                            "-c", os.path.join(self.a.run_dir, "n1.json")], capture_output=True, text=True, timeout=20)
        t_recv = now()
        try:
            d = json.loads(r.stdout)
        except json.JSONDecodeError:
            self.log(f"  (status --json --node {holder} exited {r.returncode}: {r.stderr.strip()})")
            return
        with self.observer.lock:
            self.observer.status.append((t_send, t_recv, holder, d))
        self.obs_log.write(json.dumps({"obs": "cli-status", "t_send": t_send, "t_recv": t_recv, "node": holder,
                                       "status": d}) + "\n")
        if d.get("role") != "PRIMARY" or d.get("leader") != holder:
            self.log(f"  (the CLI saw {holder} as {d.get('role')}, leader {d.get('leader')}: changed since?)")

    def latest_summary(self):
        with self.observer.lock:
            return {n: {k: d.get(k) for k in ("role", "leader", "epoch", "state", "connected", "vips")}
                    for n, (_, _, d) in self.observer.latest.items()}

    # ------------------------------------------------------------------ checks at the end

    def check_epochs(self):
        with self.observer.lock:
            status = sorted(self.observer.status, key=lambda o: o[1])
            lease = list(self.observer.lease)
        # 1. Each node's reported epoch (the known leader's; 0 = none known) never decreases.
        last = {}
        for t_send, t_recv, node, d in status:
            e = d.get("epoch") or 0
            if e == 0:
                continue
            if node in last and e < last[node][0]:
                self.violation("node-epoch-decreased", {"node": node, "from": last[node][0], "to": e,
                                                        "leader": d.get("leader"), "role": d.get("role"),
                                                        "at": iso(t_recv), "previous_at": iso(last[node][1])})
            last[node] = (e, t_recv)
        # 2. Leaders over time: an observation of a leader that surely came after another (its request was
        # sent after the other's reply arrived) never has a lower epoch; an epoch belongs to one node only.
        leaders = [o for o in status if o[3].get("role") == "PRIMARY"]
        by_recv = sorted(leaders, key=lambda o: o[1])
        by_send = sorted(leaders, key=lambda o: o[0])
        i, best = 0, None
        owner = {}
        for t_send, t_recv, node, d in by_send:
            while i < len(by_recv) and by_recv[i][1] < t_send:
                o = by_recv[i]
                if best is None or o[3]["epoch"] > best[3]["epoch"]:
                    best = o
                i += 1
            e = d.get("epoch") or 0
            if best is not None and e < best[3]["epoch"]:
                self.violation("leader-epoch-decreased", {"earlier": [best[2], best[3]["epoch"], iso(best[1])],
                                                          "later": [node, e, iso(t_send)]})
            owner.setdefault(e, set()).add(node)
        for e, nodes in owner.items():
            if len(nodes) > 1:
                self.violation("epoch-two-leaders", {"epoch": e, "nodes": sorted(nodes)})
        # 3. The lease in the KV: by revision, epochs never decrease, a new holder comes with a higher epoch;
        # revisions never go back over time; an epoch never exceeds its revision (epoch = acquiring revision).
        prev = None
        for t_send, t_recv, rev, v in lease:
            if v is None:
                continue
            e, n = v.get("epoch", 0), v.get("node_id")
            if e > rev:
                self.violation("lease-epoch-above-revision", {"revision": rev, "lease": v})
            if prev is not None:
                prev_rev, pe, pn = prev
                if rev < prev_rev:
                    self.violation("lease-revision-went-back", {"from": prev_rev, "to": rev, "at": iso(t_recv)})
                elif rev > prev_rev and (e < pe or (n != pn and e <= pe)):
                    self.violation("lease-epoch-went-back", {"from": [prev_rev, pe, pn], "to": [rev, e, n],
                                                             "at": iso(t_recv)})
            prev = (rev, e, n)
        max_epoch = max([o[3].get("epoch") or 0 for o in status] + [0])
        return len(status), len(lease), max_epoch

    def stop_probe(self):
        path = os.path.join(self.a.run_dir, "probe.json")
        open(os.path.join(self.a.run_dir, "probe.stop"), "w").close()
        deadline = now() + 20
        while now() < deadline:
            try:
                with open(path) as f:
                    return json.load(f)
            except (FileNotFoundError, json.JSONDecodeError):
                time.sleep(0.1)
        self.violation("probe-no-summary", {})
        return None

    # ------------------------------------------------------------------ main

    def replay_flags(self):
        """The options besides seed, faults and minutes that a replay needs."""
        a = self.a
        flags = (" --quick" if a.quick else "") + (" --nats-cluster" if a.nats_cluster else "")
        if (a.ttl_ms, a.heartbeat_ms) != (6000, 1000):
            flags += f" --ttl-ms {a.ttl_ms} --heartbeat-ms {a.heartbeat_ms}"
        return flags

    def run(self):
        a = self.a
        print(f"chaos: seed {a.seed}; replay with: Tests/proof/chaos.sh --seed {a.seed} --faults {a.faults} "
              f"--minutes {a.minutes:g}{self.replay_flags()}", flush=True)
        self.observer.start()
        for h in HOSTS:
            self.start_agent(h)
        took, holder = self.wait_settled(now(), 20.0, hard_s=20.0)
        if took is None:
            self.violation("no-initial-leader", {"holders": self.holders(), "status": self.latest_summary()})
            return self.report(0)
        self.log(f"initial election: {holder} leads after {took:.2f} s")
        budget = a.minutes * 60.0
        # A round lasts at most: faults (≤ ~12 s), overlap offset, healing, recovery bound, pause.
        worst_round = 25.0
        injected = 0
        while injected < a.faults and not stop_requested:
            if now() - self.t_start + worst_round > budget:
                self.log(f"time bound: {a.minutes} min reached after {injected} faults")
                break
            self.run_round()
            injected = sum(self.faults.values())
            if self.rounds % 25 == 0:
                self.dual_check(interim=True)
        return self.report(injected)

    def dual_check(self, interim=False):
        logs = [f"{h}={os.path.join(self.a.run_dir, 'log', f'mon-{h}.log')}" for h in HOSTS]
        r = subprocess.run([sys.executable, DUAL_CHECK, self.a.vip, os.path.join(self.a.run_dir, "allowed"), *logs],
                           capture_output=True, text=True)
        try:
            summary = json.loads(r.stdout)
        except json.JSONDecodeError:
            summary = {"error": r.stderr.strip()}
        if interim:
            if summary.get("overlaps"):
                self.log(f"  interim kernel check: overlaps {summary['overlaps']}")
            return summary
        for o in summary.get("overlaps", []):
            self.violation("two-holders-kernel", o)
        if "error" in summary:
            self.violation("dual-check-failed", summary)
        return summary

    def report(self, injected):
        a = self.a
        self.observer.stop = True
        duration = now() - self.t_start
        probe = self.stop_probe()
        # Every agent on, awake, and the observer's last round in before the checks.
        for h in list(self.stopped):
            self.signal_agent(h, signal.SIGCONT)
        self.stopped.clear()
        self.observer.thread.join(timeout=5)
        kernel = self.dual_check()
        if a.nats_cluster:
            views = self.snapshot_streams("end")
            last = {srv: v.get(f"KV_KV_CLUSTER_{a.cluster}", {}).get("last_seq") for srv, v in views.items()}
            if len({x for x in last.values() if x is not None}) > 1:
                self.log(f"  replicas of the lease stream disagree at the end: last_seq {last}")
        n_status, n_lease, max_epoch = self.check_epochs()
        if probe is not None:
            for d in probe.get("dual", []):
                self.violation("two-answering-probe", d)
        out = []
        out.append("")
        out.append(f"chaos campaign: seed {a.seed}, {'R3 bucket on 3 nats-servers' if a.nats_cluster else 'one nats-server'}, "
                   f"TTL {a.ttl_ms} ms / heartbeat {a.heartbeat_ms} ms (kernel lease {a.kernel_lease})")
        out.append(f"  replay:      Tests/proof/chaos.sh --seed {a.seed} --faults {a.faults} --minutes {a.minutes:g}"
                   f"{self.replay_flags()}")
        kinds = ", ".join(f"{k} {n}" for k, n in self.faults.items())
        out.append(f"  faults:      {injected} injected in {self.rounds} rounds ({kinds})"
                   + ("" if injected >= a.faults else f"  [time bound hit: {a.faults} asked]"))
        out.append(f"  duration:    {int(duration // 60)} min {duration % 60:.0f} s")
        if probe is not None:
            sent, answered = probe.get("sent", 0), probe.get("answered", 0)
            ls = probe.get("longest_silence") or {}
            out.append(f"  availability: {100.0 * answered / max(sent, 1):.2f} % of {sent} datagrams answered "
                       f"(longest silence {(ls.get('ms') or 0) / 1000:.2f} s); probe dual answers: "
                       f"{len(probe.get('dual', []))}")
        out.append(f"  kernel:      VIP holdings {kernel.get('holdings')}, overlaps {len(kernel.get('overlaps', []))}")
        out.append(f"  epochs:      {n_status} status observations, {n_lease} lease reads, highest epoch {max_epoch}")
        if self.recoveries:
            rec = sorted(r[0] for r in self.recoveries)
            worst = max(self.recoveries, key=lambda r: r[0])
            out.append(f"  recovery:    one leader again after the heal: p50 {statistics.median(rec):.2f} s, "
                       f"worst {worst[0]:.2f} s (round {worst[1]}: {' + '.join(worst[2])}); bound "
                       f"TTL + 1 s = {a.ttl_ms / 1000 + 1:.1f} s")
        out.append(f"  violations:  {len(self.violations)}")
        for v in self.violations[:40]:
            out.append(f"    - {v['time']} round {v['round']} (seed {v['seed']}): {v['kind']} {json.dumps(v['detail'])}")
        if len(self.violations) > 40:
            out.append(f"    ... {len(self.violations) - 40} more in {os.path.join(a.out, 'report.json')}")
        text = "\n".join(out)
        print(text, flush=True)
        self.chaos_log.write(text + "\n")
        with open(os.path.join(a.out, "report.json"), "w") as f:
            json.dump({"seed": a.seed, "faults": self.faults, "injected": injected, "rounds": self.rounds,
                       "duration_s": round(duration, 1), "violations": self.violations,
                       "availability": (probe or {}).get("answered", 0) / max((probe or {}).get("sent", 1), 1),
                       "recoveries_s": [round(r[0], 3) for r in self.recoveries], "kernel": kernel,
                       "status_observations": n_status, "lease_reads": n_lease, "max_epoch": max_epoch}, f, indent=1)
        return 1 if self.violations else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--faults", type=int, default=200)
    p.add_argument("--minutes", type=float, default=40)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--nats-cluster", action="store_true")
    p.add_argument("--binary", required=True)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ttl-ms", type=int, default=6000)
    p.add_argument("--kernel-lease", choices=("on", "off"), default="on")
    p.add_argument("--heartbeat-ms", type=int, default=1000)
    p.add_argument("--vip", default="198.18.0.100")
    p.add_argument("--cluster", default="chaos")
    p.add_argument("--quiet-log", action="store_true", help="the per-fault log only in OUT/chaos.log")
    a = p.parse_args()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    c = Campaign(a)
    try:
        status = c.run()
    finally:
        for h in list(c.stopped):
            c.signal_agent(h, signal.SIGCONT)
    sys.exit(status)


if __name__ == "__main__":
    main()
