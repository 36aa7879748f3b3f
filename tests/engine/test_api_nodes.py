"""api_call, lookup and webhook_out against a fake client: calls, pages, mapping, errors, concurrency."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

from flowdesk.model.errors import ResourceNotFoundError

from .conftest import FakeProvider, entity, make_flow, response, run, wait_for


def call_flow(**config: Any):  # type: ignore[no-untyped-def]
    return make_flow(
        [{"id": "call", "type": "api_call", "connection": "crm", **config}, {"id": "all", "type": "collect"}],
        [("call.out", "all.in")],
    )


def collected(result: Any) -> list[Any]:
    return result.outputs["all.out"][0]["items"]


async def test_records_of_one_call_per_item_with_templated_params(provider: FakeProvider) -> None:
    provider.client_.handlers["get_customer"] = lambda call: {"id": call["params"]["id"], "name": "C"}
    flow = call_flow(entity="get_customer", params={"id": "{customerId}"}, query={"v": "{vars.v}"})
    result = await run(flow, provider, start_at="call", start_inputs={"in": [{"customerId": 1}, {"customerId": 2}]},
                       variables={"v": 3})
    assert sorted(i["id"] for i in collected(result)) == [1, 2]
    assert {c["query"]["v"] for c in provider.client_.calls} == {3}
    assert {c["node_id"] for c in provider.client_.calls} == {"call"}


async def test_all_pages_emit_every_record_and_bare_values_become_items(provider: FakeProvider) -> None:
    provider.client_.pages_of["list_customers"] = [[{"id": 1}, {"id": 2}], [{"id": 3}], ["x"]]
    result = await run(call_flow(entity="list_customers", all_pages=True), provider)
    assert collected(result) == [{"id": 1}, {"id": 2}, {"id": 3}, {"value": "x"}]
    assert result.counts["call"] == {"in": 1, "out": 4, "errors": 0}


async def test_output_response_includes_status_headers_and_non_2xx(provider: FakeProvider) -> None:
    answers = iter([response({"ok": 1}), response({"error": "gone"}, status=404)])
    provider.client_.handlers["get_customer"] = lambda call: next(answers)
    flow = call_flow(entity="get_customer", params={"id": "{id}"}, output="response", concurrency=1)
    result = await run(flow, provider, start_at="call", start_inputs={"in": [{"id": 1}, {"id": 2}]})
    assert result.ok
    assert [(i["status"], i["body"]) for i in collected(result)] == [(200, {"ok": 1}), (404, {"error": "gone"})]
    assert collected(result)[0]["headers"] == {"content-type": "application/json"}


async def test_map_adds_response_fields_to_the_incoming_item(provider: FakeProvider) -> None:
    provider.client_.handlers["create_customer"] = lambda call: {"media": {"id": "m-1"}, "tags": ["a", "b"]}
    flow = call_flow(entity="create_customer", map={"Temp.mediaId": "$.media.id", "tags": "$.tags[*]"})
    result = await run(flow, provider, start_at="call", start_inputs={"in": [{"caption": "hi", "Temp": {"x": 1}}]})
    assert collected(result) == [{"caption": "hi", "Temp": {"x": 1, "mediaId": "m-1"}, "tags": ["a", "b"]}]


async def test_map_that_matches_nothing_is_the_items_error(provider: FakeProvider) -> None:
    provider.client_.handlers["create_customer"] = lambda call: {"other": 1}
    result = await run(call_flow(entity="create_customer", map={"id": "$.id"}), provider,
                       start_at="call", start_inputs={"in": [{"a": 1}]})
    assert result.status == "failed"
    assert result.error == "node 'call' (api_call) failed on item {'a': 1}: map id: $.id matches nothing in the " \
                           "response (it has: other)"


async def test_body_template_and_body_from_item(provider: FakeProvider) -> None:
    provider.client_.handlers["create_customer"] = lambda call: call["body"]
    result = await run(call_flow(entity="create_customer", body={"name": "{first} X", "n": "{n}"}), provider,
                       start_at="call", start_inputs={"in": [{"first": "Ada", "n": 2}]})
    assert collected(result) == [{"name": "Ada X", "n": 2}]
    result = await run(call_flow(entity="create_customer", body_from_item=True), provider,
                       start_at="call", start_inputs={"in": [{"first": "Ada"}]})
    assert collected(result) == [{"first": "Ada"}]


async def test_a_failed_call_goes_to_the_error_port_with_its_status(provider: FakeProvider) -> None:
    def answer(call: dict[str, Any]) -> Any:
        if call["params"]["id"] == 2:
            raise ResourceNotFoundError("GET /customers/2 failed: HTTP 404 Not Found", status=404)
        return {"id": call["params"]["id"]}

    provider.client_.handlers["get_customer"] = answer
    flow = make_flow(
        [
            {"id": "get", "type": "api_call", "connection": "crm", "entity": "get_customer", "params": {"id": "{id}"}},
            {"id": "ok", "type": "collect"},
            {"id": "bad", "type": "collect"},
        ],
        [("get.out", "ok.in"), ("get.error", "bad.in")],
    )
    result = await run(flow, provider, start_at="get", start_inputs={"in": [{"id": 1}, {"id": 2}, {"id": 3}]})
    assert result.ok and result.counts["get"] == {"in": 3, "out": 2, "errors": 1}
    assert result.outputs["bad.out"][0]["items"] == [
        {"error": "GET /customers/2 failed: HTTP 404 Not Found", "status": 404, "node": "get", "item": {"id": 2}}
    ]


async def test_a_failed_call_without_an_error_port_fails_the_run(provider: FakeProvider, events) -> None:  # type: ignore[no-untyped-def]
    def answer(call: dict[str, Any]) -> Any:
        raise ResourceNotFoundError("GET /customers/2 failed: HTTP 404 Not Found", status=404)

    provider.client_.handlers["get_customer"] = answer
    result = await run(call_flow(entity="get_customer", params={"id": "{id}"}), provider,
                       start_at="call", start_inputs={"in": [{"id": 2}]})
    assert result.status == "failed" and result.failed_node == "call"
    assert result.error == (
        "node 'call' (api_call) failed on item {'id': 2}: GET /customers/2 failed: HTTP 404 Not Found"
    )
    failed = [e for e in events if e.kind == "node_failed"]
    assert failed[0].node_id == "call" and failed[0].item == {"id": 2}
    assert events[-1].kind == "run_finished" and events[-1].status == "failed" and events[-1].error == result.error


async def test_an_unknown_entity_fails_the_node_not_an_item(provider: FakeProvider) -> None:
    flow = make_flow(
        [{"id": "call", "type": "api_call", "connection": "crm", "entity": "nope"}, {"id": "bad", "type": "collect"}],
        [("call.error", "bad.in")],
    )
    result = await run(flow, provider, start_at="call", start_inputs={"in": [{}]})
    assert result.status == "failed"
    assert result.error == "node 'call' (api_call) failed: connection 'crm' has no entity 'nope'"


async def test_concurrency_limits_calls_in_flight(provider: FakeProvider) -> None:
    in_flight = 0
    peak = 0
    release = asyncio.Event()

    async def answer(call: dict[str, Any]) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await release.wait()
        in_flight -= 1
        return {"id": call["params"]["id"]}

    provider.client_.handlers["get_customer"] = answer
    flow = call_flow(entity="get_customer", params={"id": "{id}"}, concurrency=3)
    task = asyncio.create_task(
        run(flow, provider, start_at="call", start_inputs={"in": [{"id": i} for i in range(10)]}, batch_size=1)
    )
    await wait_for(lambda: in_flight == 3)
    for _ in range(20):
        await asyncio.sleep(0)
    assert in_flight == 3  # no fourth call started while three wait
    release.set()
    result = await task
    assert peak == 3 and sorted(i["id"] for i in collected(result)) == list(range(10))


async def test_items_arriving_one_at_a_time_are_still_called_concurrently(provider: FakeProvider) -> None:
    in_flight = 0
    release = asyncio.Event()

    async def answer(call: dict[str, Any]) -> Any:
        nonlocal in_flight
        in_flight += 1
        await release.wait()
        return {}

    provider.client_.handlers["get_customer"] = answer
    task = asyncio.create_task(run(call_flow(entity="get_customer", params={"id": "{id}"}), provider,
                                   start_at="call", start_inputs={"in": [{"id": i} for i in range(4)]}, batch_size=1))
    await wait_for(lambda: in_flight == 4)
    release.set()
    assert (await task).ok


# --- lookup ------------------------------------------------------------------------------------------


def lookup_flow(mode: str = "left"):  # type: ignore[no-untyped-def]
    return make_flow(
        [
            {"id": "ref", "type": "lookup", "connection": "crm", "entity": "list_regions", "key": "code",
             "match": "region", "into": "regionInfo", "mode": mode},
            {"id": "ok", "type": "collect"},
            {"id": "missing", "type": "collect"},
        ],
        [("ref.out", "ok.in"), ("ref.missing", "missing.in")],
    )


REGIONS = [[{"code": "EU", "name": "Europe"}], [{"code": "US", "name": "United States"}, {"code": 7, "name": "Seven"}]]
ITEMS = [{"id": 1, "region": "EU"}, {"id": 2, "region": "APAC"}, {"id": 3, "region": "US"}, {"id": 4, "region": "7"}]


async def test_lookup_left_keeps_unmatched_with_none(provider: FakeProvider) -> None:
    provider.client_.pages_of["list_regions"] = REGIONS
    result = await run(lookup_flow(), provider, start_at="ref", start_inputs={"in": ITEMS}, batch_size=1)
    found = {i["id"]: i["regionInfo"] for i in result.outputs["ok.out"][0]["items"]}
    assert found == {1: {"code": "EU", "name": "Europe"}, 2: None, 3: {"code": "US", "name": "United States"},
                     4: {"code": 7, "name": "Seven"}}
    assert result.outputs["missing.out"] == [{"items": [], "count": 0}]
    assert provider.client_.pages_fetched == [("list_regions", 1), ("list_regions", 2)]  # once per run


async def test_lookup_inner_sends_unmatched_to_missing(provider: FakeProvider) -> None:
    provider.client_.pages_of["list_regions"] = REGIONS
    result = await run(lookup_flow("inner"), provider, start_at="ref", start_inputs={"in": ITEMS})
    assert [i["id"] for i in result.outputs["ok.out"][0]["items"]] == [1, 3, 4]
    assert result.outputs["missing.out"][0]["items"] == [{"id": 2, "region": "APAC"}]


async def test_lookup_that_cannot_load_fails_every_item(provider: FakeProvider) -> None:
    provider.client_.pages_of["list_regions"] = [ResourceNotFoundError("GET /regions failed: HTTP 404", status=404)]
    result = await run(lookup_flow(), provider, start_at="ref", start_inputs={"in": ITEMS[:1]})
    assert result.status == "failed"
    assert "the reference data could not be loaded: GET /regions failed: HTTP 404" in (result.error or "")


# --- webhook_out -------------------------------------------------------------------------------------


async def test_webhook_out_posts_signed_json_through_a_connection() -> None:
    provider = FakeProvider(entity("notify", method="POST", path="/hooks", data_path="$"))
    provider.client_.handlers["notify"] = lambda call: {}
    provider.webhook_secret = lambda ref: {"partner": "s3cret"}[ref]  # type: ignore[attr-defined]
    flow = make_flow(
        [{"id": "hook", "type": "webhook_out", "connection": "crm", "entity": "notify", "secret_ref": "partner",
          "body": {"order": "{id}", "text": "braces {{ok}}"}}],
        [],
    )
    result = await run(flow, provider, start_at="hook", start_inputs={"in": [{"id": 5}]})
    assert result.ok and result.outputs["hook.out"] == [{"id": 5}]
    (call,) = provider.client_.calls
    raw = call["body"].replace("{{", "{").replace("}}", "}")
    assert json.loads(raw) == {"order": 5, "text": "braces {ok}"}
    stamp, signature = (part.split("=", 1)[1] for part in call["headers"]["X-Flowdesk-Signature"].split(","))
    expected = hmac.new(b"s3cret", f"{stamp}.{raw}".encode(), hashlib.sha256).hexdigest()
    assert signature == expected and call["headers"]["Content-Type"] == "application/json"


async def test_webhook_out_without_a_secret_provider_fails_clearly() -> None:
    provider = FakeProvider(entity("notify", method="POST", path="/hooks", data_path="$"))
    flow = make_flow([{"id": "hook", "type": "webhook_out", "connection": "crm", "entity": "notify",
                       "secret_ref": "partner"}], [])
    result = await run(flow, provider, start_at="hook", start_inputs={"in": [{"id": 5}]})
    assert result.error == (
        "node 'hook' (webhook_out) failed: it signs with the secret 'partner', but this workspace cannot provide "
        "webhook secrets"
    )


async def test_webhook_out_to_a_bare_url_uses_the_url_client() -> None:
    provider = FakeProvider()
    made: list[Any] = []

    def url_client(connection: Any) -> Any:
        made.append(connection)
        return provider.client_

    provider.client_.handlers["url"] = lambda call: {}
    flow = make_flow([{"id": "hook", "type": "webhook_out", "url": "https://hooks.test/in/{id}"}], [])
    result = await run(flow, provider, start_at="hook", start_inputs={"in": [{"id": 1}, {"id": 2}]},
                       url_client=url_client)
    assert result.ok and [c["path"] for c in provider.client_.calls] == ["https://hooks.test/in/1",
                                                                         "https://hooks.test/in/2"]
    assert len(made) == 1 and made[0].base_url == "https://hooks.test"
    assert all(c["method"] == "POST" and json.loads(c["body"].replace("{{", "{").replace("}}", "}"))["id"]
               for c in provider.client_.calls)
