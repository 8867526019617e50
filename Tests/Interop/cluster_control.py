#!/usr/bin/env python3
"""nats-py drives a swift-cluster through its micro service: status, ping, stepdown, a malformed transfer.

Run by Tests/ClusterTests/NodeInteropTests.swift against nodes the Swift test started. For every node it
requests cluster_<cid>.status.<nid> and cluster_<cid>.ping.<nid> and checks the JSON fields; it finds the one
PRIMARY, sends it a malformed transfer (expects an error reply, and the leader unchanged), then a stepdown
(expects {"ok": true}) and polls the statuses until another node is PRIMARY under a higher epoch.

Usage: cluster_control.py <server-url> <cluster-id> <node-id> <node-id>...
Prints one JSON summary line {"leader", "epoch", "new_leader", "new_epoch"} and exits 0 when everything
matches; otherwise prints what did not and exits 1.
"""
import asyncio
import json
import sys
import time
from datetime import datetime

import nats

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
    return condition


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


async def request_json(nc, subject, payload=b"", timeout=2.0):
    msg = await nc.request(subject, payload, timeout=timeout)
    return msg, json.loads(msg.data)


async def status(nc, cid, nid):
    _, doc = await request_json(nc, f"cluster_{cid}.status.{nid}")
    return doc


def check_status(doc, nid):
    where = f"status.{nid}"
    check(doc.get("nodeId") == nid, f"{where}: nodeId {doc.get('nodeId')!r}")
    check(doc.get("role") in ("PRIMARY", "PASSIVE"), f"{where}: role {doc.get('role')!r}")
    check(isinstance(doc.get("leader"), str), f"{where}: leader {doc.get('leader')!r} is not a string")
    check(is_int(doc.get("epoch")) and doc["epoch"] >= 0, f"{where}: epoch {doc.get('epoch')!r}")
    check(is_int(doc.get("uptimeMs")) and doc["uptimeMs"] >= 0, f"{where}: uptimeMs {doc.get('uptimeMs')!r}")
    check(doc.get("connected") is True, f"{where}: connected {doc.get('connected')!r}")


def check_ping(doc, nid):
    where = f"ping.{nid}"
    check(doc.get("ok") is True, f"{where}: ok {doc.get('ok')!r}")
    stamp = doc.get("timestamp")
    if check(isinstance(stamp, str) and stamp != "", f"{where}: timestamp {stamp!r}"):
        try:
            datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            failures.append(f"{where}: timestamp {stamp!r} is not RFC 3339")


async def main(url, cid, nodes):
    nc = await nats.connect(url, name="cluster-control-py")
    try:
        statuses = {}
        for nid in nodes:
            statuses[nid] = await status(nc, cid, nid)
            check_status(statuses[nid], nid)
            _, pong = await request_json(nc, f"cluster_{cid}.ping.{nid}")
            check_ping(pong, nid)
        primaries = [nid for nid, doc in statuses.items() if doc.get("role") == "PRIMARY"]
        if not check(len(primaries) == 1, f"expected one PRIMARY, got {primaries}"):
            return None
        leader = primaries[0]
        epoch = statuses[leader]["epoch"]
        for nid, doc in statuses.items():
            check(doc.get("leader") == leader and doc.get("epoch") == epoch,
                  f"status.{nid}: names {doc.get('leader')!r}@{doc.get('epoch')!r}, not {leader}@{epoch}")

        # Malformed transfers: an error reply (400 in the micro headers, {"ok": false} body), nothing changes.
        for body in (b'{"to": 1}', b"not json at all", b""):
            msg, reply = await request_json(nc, f"cluster_{cid}.control.{leader}.transfer", body)
            code = (msg.headers or {}).get("Nats-Service-Error-Code")
            check(code == "400", f"malformed transfer {body!r}: Nats-Service-Error-Code {code!r}")
            check(reply.get("ok") is False and isinstance(reply.get("error"), str),
                  f"malformed transfer {body!r}: reply {reply!r}")
        check((await status(nc, cid, leader)).get("role") == "PRIMARY", "a malformed transfer changed the leader")

        _, reply = await request_json(nc, f"cluster_{cid}.control.{leader}.stepdown")
        check(reply == {"ok": True} or (reply.get("ok") is True and reply.get("error") is None),
              f"stepdown reply {reply!r}")

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            docs = {nid: await status(nc, cid, nid) for nid in nodes}
            now_primary = [nid for nid, doc in docs.items() if doc.get("role") == "PRIMARY"]
            if len(now_primary) == 1 and now_primary[0] != leader and docs[now_primary[0]]["epoch"] > epoch:
                new = now_primary[0]
                check(docs[leader].get("role") == "PASSIVE", f"{leader} still {docs[leader].get('role')}")
                return {"leader": leader, "epoch": epoch, "new_leader": new, "new_epoch": docs[new]["epoch"]}
            await asyncio.sleep(0.05)
        failures.append(f"no other PRIMARY within 10 s after the stepdown of {leader}")
        return None
    finally:
        await nc.close()


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    summary = asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
    if failures or summary is None:
        for failure in failures:
            print("FAIL:", failure)
        sys.exit(1)
    print(json.dumps(summary, sort_keys=True))
