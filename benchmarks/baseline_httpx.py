"""The plain-httpx baseline: what a person would write by hand for the same work.

usage: baseline_httpx.py WORKLOAD BASE_URL [--concurrency N] [--print]
WORKLOAD: pages (offset pagination over /api/items) | cursor | posts (2,000 POSTs, one per item)
Every ratio in benchmarks/ is measured against this script run in the same session on the same server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import httpx

LIMIT = 100
POSTS = 2000
HEADERS = {"X-API-Key": "demo-key"}


async def pages(client: httpx.AsyncClient, base: str, out: list[Any]) -> int:
    offset = 0
    while True:
        r = await client.get(f"{base}/api/items", params={"offset": offset, "limit": LIMIT})
        r.raise_for_status()
        records = r.json()["data"]
        out.extend(records)
        if len(records) < LIMIT:
            return len(out)
        offset += LIMIT


async def cursor(client: httpx.AsyncClient, base: str) -> int:
    cur, items = None, 0
    while True:
        params: dict[str, str | int] = {"limit": LIMIT}
        if cur:
            params["cursor"] = cur
        r = await client.get(f"{base}/api/items/cursor", params=params)
        r.raise_for_status()
        body = r.json()
        items += len(body["data"])
        cur = body.get("next_cursor")
        if not cur:
            return items


async def posts(client: httpx.AsyncClient, base: str, concurrency: int) -> int:
    numbers = iter(range(POSTS))
    done = 0

    async def worker() -> None:
        nonlocal done
        for i in numbers:
            r = await client.post(f"{base}/api/items", json={"ref": f"o-{i}", "qty": 1 + i % 5})
            r.raise_for_status()
            done += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["pages", "cursor", "posts"])
    parser.add_argument("base")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--print", action="store_true", help="print the records as a JSON array (as `call --json`)")
    args = parser.parse_args()
    records: list[Any] = []
    limits = httpx.Limits(max_connections=max(1, args.concurrency))
    async with httpx.AsyncClient(headers=HEADERS, timeout=30, limits=limits) as client:
        if args.workload == "pages":
            count = await pages(client, args.base, records)
        elif args.workload == "cursor":
            count = await cursor(client, args.base)
        else:
            count = await posts(client, args.base, args.concurrency)
    if args.print:
        print(json.dumps(records))
    else:
        print(json.dumps({"workload": args.workload, "count": count}))


if __name__ == "__main__":
    asyncio.run(main())
