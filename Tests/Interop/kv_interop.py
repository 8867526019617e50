#!/usr/bin/env python3
"""nats-py and the Swift JetStream client share one key-value bucket.

Run by Tests/NATSMicroTests/InteropTests.swift in two phases:

  kv_interop.py write <server-url> <bucket> [direct|nodirect]
      nats-py creates the bucket (history 5; allow_direct on, as nats.go and the nats CLI create buckets,
      unless "nodirect": then nats-py's own default, allow_direct unset) and writes: py.a = "alpha" then CAS-updates it to "alpha2",
      py.b = "beta", py.c created then deleted, shared = "from-python". It checks that a CAS update with a
      stale revision is refused. Prints one JSON line with the revisions for the Swift side:
      {"py.a": [rev1, rev2], "py.b": rev, "py.c": [create_rev, delete_rev], "shared": rev}

  kv_interop.py read <server-url> <bucket> <json>
      after the Swift side wrote (json = {"shared": rev, "sw.x": [rev1, rev2], "sw.y": [rev, del_rev]}),
      nats-py checks: shared = "from-swift" at that revision, sw.x = "x2" with history x1, x2,
      sw.y reads as deleted, and CAS on sw.x works with Swift's revision and fails with a stale one.
      Then it CAS-updates sw.x to "x3-from-python" and prints {"sw.x": new_rev}.

Exits 1 with the list of mismatches on any difference.
"""
import asyncio
import json
import sys

import nats
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
    return condition


async def expect_absent(kv, key):
    try:
        entry = await kv.get(key)
        check(False, f"{key}: expected deleted/absent, got {entry.value!r} at revision {entry.revision}")
    except KeyNotFoundError:
        pass


async def expect_value(kv, key, value, revision):
    try:
        entry = await kv.get(key)
    except KeyNotFoundError:
        check(False, f"{key}: absent, expected {value!r}")
        return
    check(entry.value == value, f"{key}: value {entry.value!r}, expected {value!r}")
    check(entry.revision == revision, f"{key}: revision {entry.revision}, expected {revision}")


async def expect_cas_refused(kv, key, stale):
    try:
        await kv.update(key, b"must-not-land", last=stale)
        check(False, f"{key}: CAS update with stale revision {stale} was accepted")
    except KeyWrongLastSequenceError:
        pass


async def write(js, bucket, direct):
    kv = await js.create_key_value(bucket=bucket, history=5, direct=True if direct else None)
    a1 = await kv.put("py.a", b"alpha")
    a2 = await kv.update("py.a", b"alpha2", last=a1)
    await expect_cas_refused(kv, "py.a", a1)
    b = await kv.put("py.b", b"beta")
    c1 = await kv.create("py.c", b"gamma")
    c2 = await kv.delete("py.c")
    shared = await kv.put("shared", b"from-python")
    if c2 is None or c2 is True:  # older nats-py returned a bool from delete
        c2 = (await kv.history("py.c"))[-1].revision
    return {"py.a": [a1, a2], "py.b": b, "py.c": [c1, c2], "shared": shared}


async def read(js, bucket, expected):
    kv = await js.key_value(bucket)
    await expect_value(kv, "shared", b"from-swift", expected["shared"])
    x1, x2 = expected["sw.x"]
    await expect_value(kv, "sw.x", b"x2", x2)
    history = await kv.history("sw.x")
    check([(e.value, e.revision) for e in history] == [(b"x1", x1), (b"x2", x2)],
          f"sw.x history {[(e.value, e.revision) for e in history]!r}")
    await expect_absent(kv, "sw.y")
    y_history = await kv.history("sw.y")
    check(len(y_history) == 2 and y_history[-1].operation == "DEL", f"sw.y history ops {[e.operation for e in y_history]!r}")
    await expect_cas_refused(kv, "sw.x", x1)
    x3 = await kv.update("sw.x", b"x3-from-python", last=x2)
    check(x3 > x2, f"sw.x: new revision {x3} not above {x2}")
    return {"sw.x": x3}


async def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("write", "read"):
        print(__doc__)
        sys.exit(2)
    phase, url, bucket = sys.argv[1:4]
    nc = await nats.connect(url)
    js = nc.jetstream()
    if phase == "write":
        result = await write(js, bucket, direct=(sys.argv[4:5] != ["nodirect"]))
    else:
        result = await read(js, bucket, json.loads(sys.argv[4]))
    await nc.close()
    if failures:
        print(f"kv interop ({phase}) FAILED:")
        for f in failures:
            print("  -", f)
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
