"""The receiver served by a workspace, on a real socket on 127.0.0.1: signed deliveries start the listening
flows (recorded with trigger "webhook"), anything else is refused and triggers nothing."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from flowdesk.webhooks import sign

from .conftest import SECRET, listening_flow, make_flow, post


@pytest.fixture()
async def served(workspace, runs):  # type: ignore[no-untyped-def]
    """The workspace's receiver on a free port; yields its base URL."""
    receiver, tasks = workspace.webhook_receiver("127.0.0.1", 0, on_run=runs)
    base = await receiver.start()
    yield base
    await receiver.stop()
    await tasks.cancel_all()


def _signed(style: str, payload: object, secret: str = SECRET, **kwargs: object) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", **sign(style, secret, body, **kwargs)}  # type: ignore[arg-type]


def _trigger_item(workspace, run_id):  # type: ignore[no-untyped-def]
    detail = workspace.get_run(run_id)
    (node,) = [n for n in detail.nodes if n.node_id == "hook"]
    return node.sample[0]


async def test_a_signed_post_starts_the_listening_flow_with_the_payload_and_headers(workspace, runs, served):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    workspace.save_flow(listening_flow("on-orders", "orders"))
    workspace.save_flow(listening_flow("elsewhere", "invoices"))
    body, headers = _signed("generic", {"order": 42, "items": [1, 2]})

    status, answer = await post(f"{served}/hooks/orders", body, {**headers, "Authorization": "Bearer private"})

    assert status == 202
    assert answer == {"accepted": True, "hook": "orders", "flows": ["on-orders"]}
    (run,) = await runs.wait(1)
    assert (run.flow, run.trigger, run.status) == ("on-orders", "webhook", "succeeded")
    (info,) = workspace.list_runs()
    assert (info.id, info.flow_name, info.trigger, info.status) == (run.run_id, "on-orders", "webhook", "succeeded")
    item = _trigger_item(workspace, run.run_id)
    assert item["order"] == 42 and item["items"] == [1, 2]
    assert item["headers"]["x-flowdesk-signature"] == headers["X-Flowdesk-Signature"]
    assert "authorization" not in item["headers"], "the sender's credentials are not handed to flows"
    seen = next(n for n in workspace.get_run(run.run_id).nodes if n.node_id == "seen")
    assert seen.sample[0]["seen"] is True and seen.sample[0]["order"] == 42


async def test_every_listening_flow_starts(workspace, runs, served):
    workspace.add_webhook("orders", "stripe", secret=SECRET)
    workspace.save_flow(listening_flow("a", "orders"))
    workspace.save_flow(listening_flow("b", "orders"))
    body, headers = _signed("stripe", [1, 2, 3])

    status, answer = await post(f"{served}/hooks/orders", body, headers)

    assert status == 202 and sorted(answer["flows"]) == ["a", "b"]
    done = await runs.wait(2)
    assert sorted(r.flow for r in done) == ["a", "b"] and {r.status for r in done} == {"succeeded"}
    assert _trigger_item(workspace, done[0].run_id)["payload"] == [1, 2, 3], "a non-object payload is under payload"


@pytest.mark.parametrize("style", ["github", "shopify"])
async def test_body_only_styles_start_flows_too(workspace, runs, served, style):
    workspace.add_webhook("push", style, secret=SECRET)
    workspace.save_flow(listening_flow("on-push", "push"))
    body, headers = _signed(style, {"ref": "refs/heads/main"})

    status, _ = await post(f"{served}/hooks/push", body, headers)

    assert status == 202
    (run,) = await runs.wait(1)
    assert _trigger_item(workspace, run.run_id)["ref"] == "refs/heads/main"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: _signed("generic", {"order": 1}, secret="wrong secret"), "does not match"),
        (lambda: _signed("generic", {"order": 1}, timestamp=int(time.time()) - 301), "s old"),
        (lambda: (b'{"order": 1}', {"Content-Type": "application/json"}), "header is missing"),
        (lambda: _signed("github", {"order": 1}), "X-Flowdesk-Signature header is missing"),
    ],
    ids=["wrong-secret", "stale", "unsigned", "other-style"],
)
async def test_a_badly_signed_post_is_401_and_starts_nothing(workspace, runs, served, make, words):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    workspace.save_flow(listening_flow("on-orders", "orders"))
    body, headers = make()

    status, answer = await post(f"{served}/hooks/orders", body, headers)

    assert status == 401 and words in answer["error"]
    assert SECRET not in json.dumps(answer)
    await asyncio.sleep(0)  # a run would have been started before the answer was sent
    assert runs.finished == [] and workspace.list_runs() == []


async def test_a_tampered_body_is_401(workspace, runs, served):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    workspace.save_flow(listening_flow("on-orders", "orders"))
    body, headers = _signed("generic", {"amount": 10})

    status, _ = await post(f"{served}/hooks/orders", body.replace(b"10", b"99"), headers)

    assert status == 401 and workspace.list_runs() == []


async def test_an_unknown_hook_is_404(workspace, served):
    body, headers = _signed("generic", {})
    status, answer = await post(f"{served}/hooks/nobody", body, headers)
    assert status == 404 and answer == {"error": "there is no webhook 'nobody'"}


async def test_an_unparsable_payload_is_400_and_starts_nothing(workspace, runs, served):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    workspace.save_flow(listening_flow("on-orders", "orders"))
    body = b"{not json"
    headers = {"Content-Type": "application/json", **sign("generic", SECRET, body)}

    status, answer = await post(f"{served}/hooks/orders", body, headers)

    assert status == 400 and "not JSON" in answer["error"]
    assert workspace.list_runs() == []


async def test_a_replayed_delivery_is_acknowledged_once_and_runs_once(workspace, runs, served):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    workspace.save_flow(listening_flow("on-orders", "orders"))
    body, headers = _signed("generic", {"order": 7})

    first = await post(f"{served}/hooks/orders", body, headers)
    again = await post(f"{served}/hooks/orders", body, headers)

    assert first[0] == 202 and again == (200, {"accepted": False, "duplicate": True, "hook": "orders"})
    await runs.wait(1)
    assert len(workspace.list_runs()) == 1


async def test_hooks_and_flows_added_while_serving_are_picked_up(workspace, runs, served):
    body, headers = _signed("generic", {"n": 1})
    assert (await post(f"{served}/hooks/late", body, headers))[0] == 404

    workspace.add_webhook("late", "generic", secret=SECRET)
    status, answer = await post(f"{served}/hooks/late", body, headers)
    assert (status, answer["flows"]) == (202, []), "accepted even when no flow listens yet"

    workspace.save_flow(listening_flow("late-flow", "late"))
    body, headers = _signed("generic", {"n": 2})
    assert (await post(f"{served}/hooks/late", body, headers))[1]["flows"] == ["late-flow"]
    await runs.wait(1)


async def test_a_flow_that_no_longer_validates_is_reported_not_crashed(workspace, runs, served):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    flow = make_flow(
        "uses-crm",
        [{"id": "hook", "type": "trigger", "kind": "webhook", "hook": "orders"},
         {"id": "call", "type": "api_call", "connection": "crm", "entity": "customers"}],
        [("hook.out", "call.in")],
    )
    workspace.store.save_flow(workspace.name, flow.name, flow.model_dump(mode="json", by_alias=True))
    body, headers = _signed("generic", {})

    status, _ = await post(f"{served}/hooks/orders", body, headers)

    assert status == 202
    (run,) = await runs.wait(1)
    assert run.status == "failed" and run.run_id is None and "crm" in (run.error or "")


async def test_serve_webhooks_runs_until_cancelled_and_reports_ready(workspace, runs):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    workspace.save_flow(listening_flow("on-orders", "orders"))
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    lines: list[str] = []
    task = asyncio.create_task(
        workspace.serve_webhooks("127.0.0.1", 0, runs, on_ready=ready.set_result, log=lines.append)
    )
    base = await asyncio.wait_for(ready, 5)
    body, headers = _signed("generic", {"order": 1})

    assert (await post(f"{base}/hooks/orders", body, headers))[0] == 202
    await runs.wait(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert lines == ["POST /hooks/orders -> 202 (on-orders)"]
