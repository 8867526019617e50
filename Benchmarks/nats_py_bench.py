#!/usr/bin/env python3
"""nats-py side of `make bench-nats`: the same three measurements as the Swift client, printed as JSON.

Started by bench-nats, which owns the nats-server and the echo responder (a Swift-client subscription on
`bench.echo`, used by both clients' request/reply measurement).

Usage: nats_py_bench.py --server URL [--requests N] [--publishes N] [--kv-updates N] [--bucket NAME]
Prints one JSON object on the last line of stdout:
  {"client": "nats-py 2.16.0", "reqrep_p50_us": .., "reqrep_p99_us": .., "flush_p50_us": .., "flush_p99_us": ..,
   "publish_msgs_per_s": ..,
   "kv_p50_us": .., "kv_p99_us": ..}
"""
import argparse
import asyncio
import json
import sys
import time

import nats


def percentile(samples_ns, p):
    ordered = sorted(samples_ns)
    index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered))) - 1))
    return ordered[index] / 1000.0


async def request_reply(nc, count, payload):
    for _ in range(min(500, count)):  # warm-up
        await nc.request("bench.echo", payload, timeout=5)
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        await nc.request("bench.echo", payload, timeout=5)
        samples.append(time.perf_counter_ns() - start)
    return percentile(samples, 50), percentile(samples, 99)


async def ping_pong(nc, count):
    """Diagnostic: a PING/PONG round trip through the server (flush), no responder involved."""
    for _ in range(min(500, count)):
        await nc.flush(timeout=5)
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        await nc.flush(timeout=5)
        samples.append(time.perf_counter_ns() - start)
    return percentile(samples, 50), percentile(samples, 99)


async def publish(nc, count, payload):
    for _ in range(min(10000, count)):  # warm-up
        await nc.publish("bench.pub", payload)
    await nc.flush(timeout=30)
    start = time.perf_counter_ns()
    for _ in range(count):
        await nc.publish("bench.pub", payload)
    await nc.flush(timeout=60)
    elapsed = time.perf_counter_ns() - start
    return count / (elapsed / 1e9)


async def kv_updates(nc, count, bucket, payload):
    js = nc.jetstream()
    kv = await js.create_key_value(bucket=bucket, history=1)
    revision = await kv.put("lease", payload)
    for _ in range(min(200, count)):  # warm-up
        revision = await kv.update("lease", payload, last=revision)
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        revision = await kv.update("lease", payload, last=revision)
        samples.append(time.perf_counter_ns() - start)
    await js.delete_key_value(bucket)
    return percentile(samples, 50), percentile(samples, 99)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--publishes", type=int, default=1000000)
    parser.add_argument("--kv-updates", type=int, default=2000)
    parser.add_argument("--bucket", default="bench_py")
    args = parser.parse_args()

    payload = b"0123456789abcdef"  # 16 bytes
    nc = await nats.connect(args.server, pending_size=64 * 1024 * 1024, flusher_queue_size=1024 * 1024)
    from nats.aio.client import __version__ as version

    result = {"client": f"nats-py {version}"}
    result["reqrep_p50_us"], result["reqrep_p99_us"] = await request_reply(nc, args.requests, payload)
    result["flush_p50_us"], result["flush_p99_us"] = await ping_pong(nc, args.requests)
    result["publish_msgs_per_s"] = await publish(nc, args.publishes, payload)
    if args.kv_updates > 0:
        result["kv_p50_us"], result["kv_p99_us"] = await kv_updates(nc, args.kv_updates, args.bucket, payload)
    await nc.close()
    print(json.dumps(result))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as error:  # report, then fail: bench-nats prints stderr
        print(f"nats_py_bench failed: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
