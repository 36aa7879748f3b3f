"""Generate ``flows.json``: the Node-RED side of the peer benchmark (run it after editing the code below).

usage: python benchmarks/peers/nodered/make_flows.py

One flow: ``GET /bench/<workload>?base=<mock base URL>&c=<requests in flight>`` (HTTP in) → a dispatcher
function → an HTTP request node (keep-alive, URL and method from the message, parsed JSON) whose responses go
back into the dispatcher, until the workload is done; then the dispatcher answers the trigger (HTTP response)
with a small JSON report. The flow is written by hand as code rather than drawn in the editor so that it can
be read and reviewed here, and so that no editor (``httpAdminRoot: false``) is needed.

* ``pages``: ``/items?offset=&limit=100``. With ``c=1`` the next offset is requested when a page comes back
  full, until a short page (1,001 requests); with ``c>1`` the first page's ``meta.total`` gives the remaining
  offsets, and ``c`` of them are kept in flight.
* ``cursor``: ``/cursor?limit=100``, following ``next_cursor`` until it is null (always one in flight).
* ``orders`` / ``flaky``: 2,000 POSTs of ``{"ref": "o-<i>", …}`` to ``/orders`` or ``/flaky/orders`` with ``c``
  in flight; a 429 is retried after its ``Retry-After``, a 503 after 10 ms·2^k (at most 8 attempts).
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The dispatcher's state lives in this node's in-memory context (set up in "On Start"); requests are fresh
# message objects carrying the run id, so the trigger's req/res never travel through the HTTP request node.
ON_START = "context.set('runs', {seq: 0, active: {}});\n"

DISPATCH = r"""
const runs = context.get('runs');
const N_ORDERS = 2000, LIMIT = 100, MAX_ATTEMPTS = 8;

function orderBody(i) {
    return {ref: 'o-' + i, sku: 'SKU-' + String(i % 100000).padStart(6, '0'), qty: 1 + i % 5,
            customer: {id: i % 97, email: 'c' + (i % 97) + '@example.test'}};
}

function request(run, item, attempt) {
    run.inflight++;
    run.requests++;
    const m = {_run: run.id, _item: item, _attempt: attempt};
    if (run.wl === 'pages') {
        m.method = 'GET';
        m.url = run.base + '/items?offset=' + item + '&limit=' + LIMIT;
    } else if (run.wl === 'cursor') {
        m.method = 'GET';
        m.url = run.base + '/cursor?limit=' + LIMIT + (item ? '&cursor=' + encodeURIComponent(item) : '');
    } else {
        m.method = 'POST';
        m.url = run.base + (run.wl === 'flaky' ? '/flaky/orders' : '/orders');
        m.headers = {'content-type': 'application/json'};
        m.payload = orderBody(item);
    }
    node.send([m, null]);
}

function pump(run) {
    while (run.inflight < run.c && run.queue.length > 0) {
        request(run, run.queue.shift(), 0);
    }
}

function finish(run, error) {
    if (run.finished) return;
    run.finished = true;
    delete runs.active[run.id];
    const t = run.trigger;
    t.statusCode = error ? 500 : 200;
    t.payload = {workload: run.wl, c: run.c, requests: run.requests, retries: run.retries, items: run.items,
                 orders: run.orders, engine_time_s: (Date.now() - run.t0) / 1000, error: error || null};
    node.send([null, t]);
}

if (msg._run === undefined) {
    // a trigger: GET /bench/<workload>?base=&c=
    const wl = msg.req.params.workload;
    const base = String(msg.req.query.base || '').replace(/\/+$/, '');
    const c = Math.max(1, parseInt(msg.req.query.c || '1', 10) || 1);
    if (!['pages', 'cursor', 'orders', 'flaky'].includes(wl) || !/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) {
        msg.statusCode = 400;
        msg.payload = {error: 'usage: /bench/pages|cursor|orders|flaky?base=http://127.0.0.1:PORT&c=N'};
        return [null, msg];
    }
    const run = {id: ++runs.seq, wl: wl, base: base, c: wl === 'cursor' ? 1 : c, trigger: msg, t0: Date.now(),
                 requests: 0, retries: 0, items: 0, orders: 0, inflight: 0, queue: [], finished: false};
    runs.active[run.id] = run;
    if (wl === 'pages') run.queue.push(0);
    else if (wl === 'cursor') run.queue.push(null);
    else for (let i = 0; i < N_ORDERS; i++) run.queue.push(i);
    pump(run);
    return null;
}

// a response from the HTTP request node
const run = runs.active[msg._run];
if (!run) return null;  // the run already failed
run.inflight--;
const status = msg.statusCode;
if (status === 429 || status === 503) {
    run.retries++;
    const attempt = msg._attempt + 1;
    if (attempt >= MAX_ATTEMPTS) {
        finish(run, 'gave up after ' + MAX_ATTEMPTS + ' attempts: ' + msg.url);
        return null;
    }
    const retryAfter = msg.headers && msg.headers['retry-after'];
    const delay = retryAfter !== undefined ? 1000 * parseFloat(retryAfter) : 10 * Math.pow(2, attempt - 1);
    run.inflight++;  // the slot stays taken while waiting
    const item = msg._item;
    setTimeout(function () {
        run.inflight--;
        if (!run.finished) request(run, item, attempt);
    }, delay);
    return null;
}
if (typeof status !== 'number' || status < 200 || status >= 300 || typeof msg.payload !== 'object') {
    finish(run, 'HTTP ' + status + ' from ' + msg.url + ': ' + String(msg.payload).slice(0, 200));
    return null;
}
const body = msg.payload;
if (run.wl === 'pages') {
    const items = body.data.items;
    run.items += items.length;
    if (run.c > 1) {
        if (msg._item === 0) {
            for (let off = LIMIT; off < body.meta.total; off += LIMIT) run.queue.push(off);
        }
    } else if (items.length === LIMIT) {
        run.queue.push(msg._item + LIMIT);
    }
} else if (run.wl === 'cursor') {
    run.items += body.items.length;
    if (body.next_cursor) run.queue.push(body.next_cursor);
} else {
    run.orders++;
}
pump(run);
if (run.inflight === 0 && run.queue.length === 0) finish(run, null);
return null;
"""


def flows() -> list[dict[str, object]]:
    tab = "bench-tab"
    return [
        {"id": tab, "type": "tab", "label": "peer benchmark", "disabled": False, "info": ""},
        {
            "id": "bench-in",
            "type": "http in",
            "z": tab,
            "name": "trigger",
            "url": "/bench/:workload",
            "method": "get",
            "upload": False,
            "swaggerDoc": "",
            "x": 120,
            "y": 80,
            "wires": [["bench-dispatch"]],
        },
        {
            "id": "bench-dispatch",
            "type": "function",
            "z": tab,
            "name": "dispatcher",
            "func": DISPATCH.strip() + "\n",
            "outputs": 2,
            "timeout": 0,
            "noerr": 0,
            "initialize": ON_START,
            "finalize": "",
            "libs": [],
            "x": 320,
            "y": 80,
            "wires": [["bench-request"], ["bench-out"]],
        },
        {
            "id": "bench-request",
            "type": "http request",
            "z": tab,
            "name": "request",
            "method": "use",
            "ret": "obj",
            "paytoqs": "ignore",
            "url": "",
            "tls": "",
            "persist": True,
            "proxy": "",
            "insecureHTTPParser": False,
            "authType": "",
            "senderr": False,
            "headers": [],
            "x": 520,
            "y": 140,
            "wires": [["bench-dispatch"]],
        },
        {
            "id": "bench-out",
            "type": "http response",
            "z": tab,
            "name": "answer",
            "statusCode": "",
            "headers": {},
            "x": 520,
            "y": 80,
            "wires": [],
        },
    ]


def main() -> None:
    out = HERE / "flows.json"
    out.write_text(json.dumps(flows(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
