"""webhook_out end to end: a signed POST that flowdesk's own receiver verifies (round trip), retried like any
call -- through a connection's client, or to a bare URL -- with the same signature and Idempotency-Key."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from flowdesk.connections import ConnectionClient
from flowdesk.engine import FlowRunner
from flowdesk.model import parse_connection
from flowdesk.webhooks import verify

from .conftest import SECRET, listening_flow, make_flow


def sender(url: str, secret_ref: str = "orders", **config: Any) -> Any:
    return make_flow(
        "sender",
        [{"id": "start", "type": "trigger", "variables": {"id": 7, "total": 19.5}},
         {"id": "send", "type": "webhook_out", "url": url, "secret_ref": secret_ref,
          "body": {"order": "{id}", "amount": "{total}", "note": "käse {{literal}}"}, **config}],
        [("start.out", "send.in")],
    )


async def test_a_signed_webhook_out_is_verified_by_the_receiver_and_starts_its_flow(workspace, runs):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    workspace.save_flow(listening_flow("on-orders", "orders"))
    receiver, tasks = workspace.webhook_receiver("127.0.0.1", 0, on_run=runs)
    base = await receiver.start()
    try:
        result = await workspace.run_flow(sender(f"{base}/hooks/orders"))
        assert result.ok, result.error
        (run,) = await runs.wait(1)
    finally:
        await receiver.stop()
        await tasks.cancel_all()

    assert (run.flow, run.trigger, run.status) == ("on-orders", "webhook", "succeeded")
    item = next(n for n in workspace.get_run(run.run_id).nodes if n.node_id == "hook").sample[0]
    assert {k: item[k] for k in ("order", "amount", "note")} == {"order": 7, "amount": 19.5, "note": "käse {literal}"}
    assert item["headers"]["idempotency-key"]
    assert sorted(r.trigger for r in workspace.list_runs()) == ["manual", "webhook"]


async def test_the_secret_can_come_from_the_environment(workspace, runs, monkeypatch):
    monkeypatch.setenv("PARTNER_HOOK_SECRET", SECRET)
    workspace.add_webhook("orders", "generic", secret=SECRET)
    workspace.save_flow(listening_flow("on-orders", "orders"))
    receiver, tasks = workspace.webhook_receiver("127.0.0.1", 0, on_run=runs)
    base = await receiver.start()
    try:
        result = await workspace.run_flow(sender(f"{base}/hooks/orders", secret_ref="env:PARTNER_HOOK_SECRET"))
        await runs.wait(1)
    finally:
        await receiver.stop()
        await tasks.cancel_all()
    assert result.ok


async def test_a_wrong_secret_is_refused_by_the_receiver_and_fails_the_sending_item(workspace, runs):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    workspace.add_webhook("other", "generic", secret="not the same secret")
    workspace.save_flow(listening_flow("on-orders", "orders"))
    receiver, tasks = workspace.webhook_receiver("127.0.0.1", 0, on_run=runs)
    base = await receiver.start()
    try:
        result = await workspace.run_flow(sender(f"{base}/hooks/orders", secret_ref="other"))
    finally:
        await receiver.stop()
        await tasks.cancel_all()
    assert result.status == "failed" and "401" in (result.error or "")
    assert runs.finished == []


def _flaky(received: list[tuple[bytes, CIMultiDict[str]]], failures: int = 1):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.Response:
        received.append((await request.read(), CIMultiDict(request.headers)))
        if len(received) <= failures:
            return web.json_response({"error": "busy"}, status=503)
        return web.json_response({"ok": True}, status=202)

    return handler


def _same_delivery(received: list[tuple[bytes, CIMultiDict[str]]]) -> None:
    (body, first), (body2, second) = received
    assert body == body2
    assert first["Idempotency-Key"] == second["Idempotency-Key"]
    assert first["X-Flowdesk-Signature"] == second["X-Flowdesk-Signature"]
    verify("generic", SECRET, body, second)
    assert json.loads(body)["order"] == 7


async def test_a_post_to_a_bare_url_is_retried_with_the_same_signature(workspace, http_server):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    received: list[tuple[bytes, CIMultiDict[str]]] = []
    base = await http_server(_flaky(received))
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    runner = FlowRunner(
        workspace.validate_flow(sender(f"{base}/in")),
        clients=workspace,
        url_client=lambda connection: ConnectionClient(connection, sleep=no_wait),
    )
    result = await runner.run()

    assert result.ok, result.error
    assert len(received) == 2 and len(waits) == 1 and 0.5 < waits[0] < 1.5, "the default backoff: 1 s ±10 %"
    _same_delivery(received)


async def test_a_post_through_a_connection_uses_its_retries(workspace, http_server):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    received: list[tuple[bytes, CIMultiDict[str]]] = []
    base = await http_server(_flaky(received, failures=2))
    workspace.add_connection(
        parse_connection(
            {
                "name": "partner",
                "base_url": base,
                "retry": {"count": 3, "backoff_s": 0.01},
                "entities": [{"name": "notify", "method": "POST", "path": "/notify"}],
            }
        )
    )
    flow = make_flow(
        "sender",
        [{"id": "start", "type": "trigger", "variables": {"id": 7}},
         {"id": "send", "type": "webhook_out", "connection": "partner", "entity": "notify", "secret_ref": "orders",
          "body": {"order": "{id}"}}],
        [("start.out", "send.in")],
    )

    result = await workspace.run_flow(flow)

    assert result.ok, result.error
    assert len(received) == 3
    _same_delivery(received[1:])
    calls = workspace.get_run(result.run_id).api_calls
    assert [c.status for c in calls] == [503, 503, 202]
