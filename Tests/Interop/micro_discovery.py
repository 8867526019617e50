#!/usr/bin/env python3
"""nats-py discovers a Swift NATSMicro service through $SRV and checks every JSON reply.

Run by Tests/NATSMicroTests/InteropTests.swift against a service the Swift test started:
  name "calc", version "1.2.3", description "calculator", metadata {"region": "local"}
  endpoints: echo (subject "echo", queue "q", metadata {"k": "v"}),
             fail (group "math": subject "math.fail", answers error 400 "bad input"),
             add  (group "math", subject "math.sum", queue "other").

Usage: micro_discovery.py <server-url> <service-id>
Exits 0 when everything matches; otherwise prints what did not and exits 1.
"""
import asyncio
import json
import re
import sys
from datetime import datetime

import nats
from nats.errors import NoRespondersError

NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# semver.org's suggested regular expression.
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
    return condition


def check_metadata(value, where):
    check(
        value is None or (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())),
        f"{where}: metadata must be an object of strings or null, got {value!r}",
    )


def check_common(doc, kind, service_id, where):
    check(doc.get("type") == f"io.nats.micro.v1.{kind}_response", f"{where}: type is {doc.get('type')!r}")
    check(isinstance(doc.get("name"), str) and NAME_RE.match(doc["name"]), f"{where}: bad name {doc.get('name')!r}")
    check(doc.get("name") == "calc", f"{where}: name {doc.get('name')!r} != 'calc'")
    check(isinstance(doc.get("id"), str) and doc["id"] != "", f"{where}: id missing or empty")
    check(doc.get("id") == service_id, f"{where}: id {doc.get('id')!r} != {service_id!r}")
    check(isinstance(doc.get("version"), str) and SEMVER_RE.match(doc["version"]), f"{where}: version not SemVer")
    check(doc.get("version") == "1.2.3", f"{where}: version {doc.get('version')!r} != '1.2.3'")
    check("metadata" in doc, f"{where}: metadata missing")
    check_metadata(doc.get("metadata"), where)
    check(doc.get("metadata") == {"region": "local"}, f"{where}: metadata {doc.get('metadata')!r}")


def check_info(doc, service_id, where):
    check_common(doc, "info", service_id, where)
    check("description" in doc and isinstance(doc["description"], str), f"{where}: description must be present")
    check(doc.get("description") == "calculator", f"{where}: description {doc.get('description')!r}")
    endpoints = doc.get("endpoints")
    if not check(isinstance(endpoints, list), f"{where}: endpoints is not a list"):
        return
    for e in endpoints:
        check(isinstance(e.get("name"), str) and NAME_RE.match(e["name"]), f"{where}: endpoint name {e.get('name')!r}")
        check(isinstance(e.get("subject"), str) and e["subject"] != "", f"{where}: endpoint subject empty")
        check_metadata(e.get("metadata"), f"{where} endpoint {e.get('name')}")
    got = {e.get("name"): (e.get("subject"), e.get("queue_group"), e.get("metadata") or {}) for e in endpoints}
    want = {
        "echo": ("echo", "q", {"k": "v"}),
        "fail": ("math.fail", "q", {}),
        "add": ("math.sum", "other", {}),
    }
    check(got == want, f"{where}: endpoints {got!r} != {want!r}")


def check_stats(doc, service_id, where, expect_counts):
    check_common(doc, "stats", service_id, where)
    started = doc.get("started")
    try:
        datetime.fromisoformat(str(started).replace("Z", "+00:00"))
        check(str(started).endswith("Z") or "+" in str(started), f"{where}: started {started!r} has no zone")
    except ValueError:
        check(False, f"{where}: started {started!r} is not RFC 3339")
    endpoints = doc.get("endpoints")
    if not check(isinstance(endpoints, list), f"{where}: endpoints is not a list"):
        return
    by_name = {}
    for e in endpoints:
        n = e.get("name")
        by_name[n] = e
        for field in ("num_requests", "num_errors", "processing_time", "average_processing_time"):
            check(isinstance(e.get(field), int) and not isinstance(e.get(field), bool),
                  f"{where} {n}: {field} must be an integer, got {e.get(field)!r}")
        check(isinstance(e.get("last_error"), str), f"{where} {n}: last_error must be a string")
        check(isinstance(e.get("subject"), str) and e["subject"] != "", f"{where} {n}: subject empty")
        check("data" not in e or isinstance(e["data"], dict), f"{where} {n}: data must be omitted or an object")
    if expect_counts:
        echo, fail = by_name.get("echo", {}), by_name.get("fail", {})
        check(echo.get("num_requests") == 1 and echo.get("num_errors") == 0, f"{where}: echo counters {echo!r}")
        check(echo.get("processing_time", 0) > 0, f"{where}: echo processing_time not > 0 ns")
        check(echo.get("average_processing_time") == echo.get("processing_time"), f"{where}: echo average != total")
        check(fail.get("num_requests") == 1 and fail.get("num_errors") == 1, f"{where}: fail counters {fail!r}")
        check(fail.get("last_error") == "400:bad input", f"{where}: fail last_error {fail.get('last_error')!r}")


async def collect(nc, subject, first=3.0, wait=0.3, body=b"", headers=None):
    """Scatter-gather like `nats micro`: publish on an inbox; the first reply may take `first` seconds,
    then stop once `wait` seconds pass without another."""
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    await nc.publish(subject, body, reply=inbox, headers=headers)
    replies = []
    try:
        while True:
            msg = await sub.next_msg(timeout=wait if replies else first)
            replies.append(msg)
    except nats.errors.TimeoutError:
        pass
    await sub.unsubscribe()
    return replies


def decode(msg, where):
    try:
        return json.loads(msg.data)
    except ValueError as e:
        check(False, f"{where}: reply is not JSON ({e}): {msg.data!r}")
        return {}


async def main(url, service_id):
    nc = await nats.connect(url)

    # Endpoints first, so STATS has something to count.
    reply = await nc.request("echo", b"hello from python", timeout=2)
    check(reply.data == b"hello from python", f"echo replied {reply.data!r}")
    check(not reply.headers or "Nats-Service-Error" not in reply.headers, f"echo carried error headers {reply.headers}")
    reply = await nc.request("math.fail", b"x", timeout=2)
    headers = reply.headers or {}
    check(headers.get("Nats-Service-Error") == "bad input", f"fail: Nats-Service-Error = {headers.get('Nats-Service-Error')!r}")
    check(headers.get("Nats-Service-Error-Code") == "400", f"fail: Nats-Service-Error-Code = {headers.get('Nats-Service-Error-Code')!r}")

    # The service counts a request just after its handler answered; give it a moment before STATS.
    await asyncio.sleep(0.3)

    for verb, kind in (("PING", "ping"), ("INFO", "info"), ("STATS", "stats")):
        for subject in (f"$SRV.{verb}", f"$SRV.{verb}.calc", f"$SRV.{verb}.calc.{service_id}"):
            # What the nats CLI sends: body {} and Accept-Encoding: snappy (services may ignore it).
            replies = await collect(nc, subject, body=b"{}", headers={"Accept-Encoding": "snappy"})
            check(len(replies) == 1, f"{subject}: {len(replies)} replies, want exactly 1")
            for msg in replies:
                doc = decode(msg, subject)
                if kind == "ping":
                    check_common(doc, "ping", service_id, subject)
                elif kind == "info":
                    check_info(doc, service_id, subject)
                else:
                    check_stats(doc, service_id, subject, expect_counts=True)

    # Requests for another service or instance find nobody.
    for subject in ("$SRV.INFO.nosuch", "$SRV.PING.calc.NOTTHEID"):
        try:
            await nc.request(subject, b"", timeout=1)
            check(False, f"{subject}: got a reply, want no responders")
        except NoRespondersError:
            pass
        except nats.errors.TimeoutError:
            check(False, f"{subject}: timed out, want no responders")

    await nc.close()
    if failures:
        print("micro discovery interop FAILED:")
        for f in failures:
            print("  -", f)
        sys.exit(1)
    print("micro discovery interop OK: PING/INFO/STATS x all/name/name.id, error headers, stats counters")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
