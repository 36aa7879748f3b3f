#!/usr/bin/env python3
"""Fast local mock REST API for the peer benchmark (aiohttp, single process; uvloop if installed).

The shared peer harness's mock server, unchanged apart from formatting, so that these numbers compare with
the shared tables. ``run.py`` starts it on a free port (``--port``); ``tests/benchmarks`` uses it too.

Binds to 127.0.0.1 only.  Endpoints:

  GET  /items?offset=&limit=      offset pagination over N synthetic items
                                  -> {"data": {"items": [...]}, "meta": {"total": N}}
  GET  /cursor?limit=&cursor=     cursor pagination
                                  -> {"items": [...], "next_cursor": "..." | null}
  POST /orders                    JSON body -> 201 {"id": <int>, "ref": ...}
  /flaky/items, /flaky/cursor, /flaky/orders
                                  same as above, but a global counter over all
                                  /flaky/* requests makes every 25th request a
                                  503 and every (other) 10th a 429 with
                                  "Retry-After: 0".  Failed requests have no
                                  side effects, so a retry is always safe.
  POST /done                      engines may post a completion signal (stored)
  GET  /stats                     counters (used by the harness to validate runs)
  POST /reset                     reset counters (harness calls it before a run)
  GET  /health                    liveness

Responses for pages are assembled from pre-serialised item JSON, so the
server does almost no work per request.
"""

import argparse
import json
import os
import sys
import time

from aiohttp import web

try:  # optional, faster event loop
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

JSON = "application/json"


def make_items(n):
    out = []
    for i in range(n):
        item = {
            "id": i,
            "sku": f"SKU-{i:06d}",
            "name": f"Item {i}",
            "price": round(((i * 37) % 10000) / 100, 2),
            "qty": i % 17,
            "tags": [f"t{i % 5}", f"g{i % 3}"],
        }
        out.append(json.dumps(item, separators=(",", ":")).encode())
    return out


class State:
    def __init__(self, n):
        self.n = n
        self.items = make_items(n)
        self.flaky_counter = 0
        self.next_order_id = 1
        self.reset()

    def reset(self):
        self.t_reset = time.time()
        self.requests = {}  # route -> count
        self.statuses = {}  # status -> count
        self.items_served = 0
        self.offsets = set()  # distinct offsets fetched via /items
        self.cursor_items = 0
        self.cursor_pages = 0
        self.orders_ok = 0  # 201 responses
        self.order_refs = set()  # distinct client refs created
        self.order_dupes = 0
        self.bad_requests = 0
        self.done = []  # completion signals
        self.flaky_counter = 0
        self.first_req = None
        self.last_req = None

    def stats(self):
        return {
            "n": self.n,
            "since_reset_s": round(time.time() - self.t_reset, 3),
            "requests": self.requests,
            "total_requests": sum(self.requests.values()),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "items_served": self.items_served,
            "distinct_offsets": len(self.offsets),
            "cursor_items": self.cursor_items,
            "cursor_pages": self.cursor_pages,
            "orders_ok": self.orders_ok,
            "distinct_order_refs": len(self.order_refs),
            "order_dupes": self.order_dupes,
            "bad_requests": self.bad_requests,
            "done": self.done,
            "first_req": self.first_req,
            "last_req": self.last_req,
            "server_pid": os.getpid(),
        }


def build_app(n):
    st = State(n)
    head_items = b'{"data":{"items":['
    tail_items = (',"meta":{"total":%d}}' % n).encode()  # noqa: UP031

    def count(route, status):
        now = time.time()
        if st.first_req is None:
            st.first_req = now
        st.last_req = now
        st.requests[route] = st.requests.get(route, 0) + 1
        st.statuses[status] = st.statuses.get(status, 0) + 1

    def bad(route, msg):
        st.bad_requests += 1
        count(route, 400)
        return web.Response(status=400, body=json.dumps({"error": msg}).encode(), content_type=JSON)

    def flaky_gate(route):
        """Return an error response for the flaky variant, or None."""
        st.flaky_counter += 1
        k = st.flaky_counter
        if k % 25 == 0:
            count(route, 503)
            return web.Response(status=503, body=b'{"error":"service unavailable"}', content_type=JSON)
        if k % 10 == 0:
            count(route, 429)
            return web.Response(
                status=429, body=b'{"error":"rate limited"}', content_type=JSON, headers={"Retry-After": "0"}
            )
        return None

    def parse_int(q, name, default, lo, hi):
        v = q.get(name)
        if v is None or v == "":
            return default
        v = int(v)
        if v < lo or v > hi:
            raise ValueError(name)
        return v

    async def items(request, route="items"):
        q = request.rel_url.query
        try:
            offset = parse_int(q, "offset", 0, 0, 10**9)
            limit = parse_int(q, "limit", 100, 1, 1000)
        except ValueError as e:
            return bad(route, f"bad {e}")
        page = st.items[offset : offset + limit]
        st.items_served += len(page)
        if page:
            st.offsets.add(offset)
        count(route, 200)
        body = head_items + b",".join(page) + b"]}" + tail_items
        return web.Response(body=body, content_type=JSON)

    async def cursor(request, route="cursor"):
        q = request.rel_url.query
        try:
            limit = parse_int(q, "limit", 100, 1, 1000)
        except ValueError as e:
            return bad(route, f"bad {e}")
        c = q.get("cursor")
        if c in (None, "", "null"):
            start = 0
        else:
            try:
                if not c.startswith("c"):
                    raise ValueError
                start = int(c[1:], 16)
            except ValueError:
                return bad(route, "bad cursor")
        page = st.items[start : start + limit]
        end = start + len(page)
        nxt = ('"c%x"' % end).encode() if end < st.n else b"null"  # noqa: UP031
        st.cursor_items += len(page)
        st.cursor_pages += 1
        count(route, 200)
        body = b'{"items":[' + b",".join(page) + b'],"next_cursor":' + nxt + b"}"
        return web.Response(body=body, content_type=JSON)

    async def orders(request, route="orders"):
        try:
            data = await request.json()
            if not isinstance(data, dict):
                raise ValueError
        except Exception:
            return bad(route, "body must be a JSON object")
        oid = st.next_order_id
        st.next_order_id += 1
        st.orders_ok += 1
        ref = data.get("ref")
        if ref is not None:
            if ref in st.order_refs:
                st.order_dupes += 1
            else:
                st.order_refs.add(ref)
        count(route, 201)
        return web.Response(status=201, content_type=JSON, body=json.dumps({"id": oid, "ref": ref}).encode())

    async def flaky_items(request):
        return flaky_gate("flaky_items") or await items(request, "flaky_items")

    async def flaky_cursor(request):
        return flaky_gate("flaky_cursor") or await cursor(request, "flaky_cursor")

    async def flaky_orders(request):
        # read the body first so the connection stays clean on errors
        await request.read()
        return flaky_gate("flaky_orders") or await orders(request, "flaky_orders")

    async def done(request):
        try:
            data = await request.json()
        except Exception:
            data = None
        st.done.append({"t": time.time(), "body": data})
        return web.Response(status=200, body=b'{"ok":true}', content_type=JSON)

    async def stats(request):
        return web.json_response(st.stats())

    async def reset(request):
        st.reset()
        return web.json_response({"ok": True})

    async def health(request):
        return web.json_response({"ok": True, "pid": os.getpid(), "n": st.n})

    app = web.Application(client_max_size=1 << 20)
    app.router.add_get("/items", items)
    app.router.add_get("/cursor", cursor)
    app.router.add_post("/orders", orders)
    app.router.add_get("/flaky/items", flaky_items)
    app.router.add_get("/flaky/cursor", flaky_cursor)
    app.router.add_post("/flaky/orders", flaky_orders)
    app.router.add_post("/done", done)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    app.router.add_get("/health", health)
    return app


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=18080)
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    if not a.host.startswith("127.") and a.host not in ("localhost", "::1"):
        sys.exit("refusing to bind a non-loopback address")
    if uvloop is not None:
        uvloop.install()
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write(str(os.getpid()))
    web.run_app(
        build_app(a.n), host=a.host, port=a.port, access_log=None, print=lambda *x: print(*x, flush=True), backlog=1024
    )


if __name__ == "__main__":
    main()
