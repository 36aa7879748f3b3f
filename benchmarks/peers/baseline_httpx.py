#!/usr/bin/env python3
"""Raw Python baseline: httpx.AsyncClient (the reference of every ratio in run.py, with --concurrency 1).

The shared peer harness's clients/py_httpx.py, unchanged apart from formatting.

usage: baseline_httpx.py WORKLOAD BASE_URL [--concurrency N]
WORKLOAD: pages | orders | cursor | flaky
Prints 'ENGINE_TIME_S=<s>' (time spent after imports/startup) and a RESULT line.
"""

import argparse
import asyncio
import json
import sys
import time

import httpx

LIMIT = 100
N_ORDERS = 2000
MAX_ATTEMPTS = 8


def order_body(i):
    return {
        "ref": f"o-{i}",
        "sku": f"SKU-{i % 100000:06d}",
        "qty": 1 + i % 5,
        "customer": {"id": i % 97, "email": f"c{i % 97}@example.test"},
    }


async def request_retry(client, method, url, stats, **kw):
    """Retry on 429/503, honouring Retry-After; 503 without it: 10ms * 2^k."""
    for attempt in range(MAX_ATTEMPTS):
        r = await client.request(method, url, **kw)
        stats["requests"] += 1
        if r.status_code not in (429, 503):
            r.raise_for_status()
            return r
        stats["retries"] += 1
        ra = r.headers.get("retry-after")
        delay = float(ra) if ra is not None else 0.01 * (2**attempt)
        if delay > 0:
            await asyncio.sleep(delay)
    raise RuntimeError(f"gave up after {MAX_ATTEMPTS} attempts: {method} {url}")


async def pages(client, base, conc, stats):
    url = f"{base}/items"
    if conc <= 1:
        offset = 0
        while True:
            r = await request_retry(client, "GET", url, stats, params={"offset": offset, "limit": LIMIT})
            items = r.json()["data"]["items"]
            stats["items"] += len(items)
            if len(items) < LIMIT:
                break
            offset += LIMIT
        return
    # concurrent: first page tells meta.total, then fan out over offsets
    r = await request_retry(client, "GET", url, stats, params={"offset": 0, "limit": LIMIT})
    body = r.json()
    stats["items"] += len(body["data"]["items"])
    total = body["meta"]["total"]
    offsets = iter(range(LIMIT, total, LIMIT))

    async def worker():
        for off in offsets:  # shared iterator: each offset taken once
            rr = await request_retry(client, "GET", url, stats, params={"offset": off, "limit": LIMIT})
            stats["items"] += len(rr.json()["data"]["items"])

    await asyncio.gather(*(worker() for _ in range(conc)))


async def cursor(client, base, conc, stats):
    url = f"{base}/cursor"
    cur = None
    while True:
        params = {"limit": LIMIT}
        if cur:
            params["cursor"] = cur
        r = await request_retry(client, "GET", url, stats, params=params)
        body = r.json()
        stats["items"] += len(body["items"])
        cur = body["next_cursor"]
        if not cur:
            break


async def orders(client, base, conc, stats, path="/orders"):
    url = f"{base}{path}"
    ids = iter(range(N_ORDERS))

    async def worker():
        for i in ids:
            r = await request_retry(client, "POST", url, stats, json=order_body(i))
            if r.status_code != 201:
                raise RuntimeError(f"unexpected status {r.status_code}")
            r.json()["id"]
            stats["orders"] += 1

    await asyncio.gather(*(worker() for _ in range(max(1, conc))))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", choices=["pages", "orders", "cursor", "flaky"])
    ap.add_argument("base")
    ap.add_argument("--concurrency", "-c", type=int, default=1)
    a = ap.parse_args()
    base = a.base.rstrip("/")
    stats = {"requests": 0, "retries": 0, "items": 0, "orders": 0}
    limits = httpx.Limits(max_connections=max(1, a.concurrency), max_keepalive_connections=max(1, a.concurrency))
    t0 = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        if a.workload == "pages":
            await pages(client, base, a.concurrency, stats)
        elif a.workload == "cursor":
            await cursor(client, base, a.concurrency, stats)
        elif a.workload == "orders":
            await orders(client, base, a.concurrency, stats)
        else:
            await orders(client, base, a.concurrency, stats, path="/flaky/orders")
    dt = time.perf_counter() - t0
    print(f"ENGINE_TIME_S={dt:.4f}")
    print("RESULT " + json.dumps({"workload": a.workload, "concurrency": a.concurrency, **stats}))


if __name__ == "__main__":
    asyncio.run(main())  # stock asyncio loop: a plain baseline
    sys.exit(0)
