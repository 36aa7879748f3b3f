"""api_call with ``check_contract``: mismatches become ContractWarning events; items flow on unchanged."""

from __future__ import annotations

from typing import Any

from flowdesk.engine._api import MAX_CONTRACT_WARNINGS
from flowdesk.model import ContractWarning
from flowdesk.workspace._runs import RunProgress

from .conftest import FakeProvider, entity, make_flow, response, run

CUSTOMER = {"type": "object", "properties": {"id": {"type": "integer"}, "email": {"type": "string"}}}
LISTED = {"type": "object", "properties": {"data": {"type": "array", "items": CUSTOMER}}}


def _provider() -> FakeProvider:
    return FakeProvider(
        entity("list_customers", response_schema=LISTED),
        entity("get_customer", path="/customers/{id}", data_path="$", response_schema=CUSTOMER),
        entity("plain", schema=[{"field": "email", "type": "string", "path": "$.email"}]),
        entity("no_contract"),
    )


def _flow(**config: Any):  # type: ignore[no-untyped-def]
    return make_flow(
        [{"id": "call", "type": "api_call", "connection": "crm", **config}, {"id": "all", "type": "collect"}],
        [("call.out", "all.in")],
    )


def _warnings(events: list[Any]) -> list[str]:
    return [e.message for e in events if isinstance(e, ContractWarning)]


async def test_mismatches_of_every_page_are_warnings_and_the_items_flow_on(events) -> None:
    provider = _provider()
    provider.client_.pages_of["list_customers"] = [[{"id": 1, "email": "a"}, {"id": "2", "email": None}], [{"id": 3}]]
    result = await run(_flow(entity="list_customers", all_pages=True, check_contract=True), provider)
    assert result.ok
    assert len(result.outputs["all.out"][0]["items"]) == 3
    assert _warnings(events) == [
        "node 'call' (crm/list_customers): record 1: id: expected integer, got string",
        "node 'call' (crm/list_customers): record 1: email: expected string, got null",
    ]
    warning = next(e for e in events if isinstance(e, ContractWarning))
    assert (warning.field, warning.expected, warning.got, warning.record) == ("id", "integer", "string", 1)


async def test_one_call_per_item_counts_records_on_and_checks_raw_responses(events) -> None:
    provider = _provider()
    answers = iter([{"id": 1, "email": "a"}, {"id": 2, "email": 5}])
    provider.client_.handlers["get_customer"] = lambda call: next(answers)
    flow = _flow(entity="get_customer", params={"id": "{id}"}, check_contract=True, concurrency=1)
    await run(flow, provider, start_at="call", start_inputs={"in": [{"id": 1}, {"id": 2}]})
    assert _warnings(events) == ["node 'call' (crm/get_customer): record 1: email: expected string, got integer"]

    events.clear()
    raw = iter([response({"id": "x"}), response({"error": "gone"}, status=404)])
    provider.client_.handlers["get_customer"] = lambda call: next(raw)
    flow = _flow(entity="get_customer", params={"id": "{id}"}, output="response", check_contract=True, concurrency=1)
    result = await run(flow, provider, start_at="call", start_inputs={"in": [{"id": 1}, {"id": 2}]})
    assert result.ok
    assert _warnings(events) == ["node 'call' (crm/get_customer): record 0: id: expected integer, got string"]


async def test_schema_fields_are_the_contract_without_a_response_schema(events) -> None:
    provider = _provider()
    provider.client_.pages_of["plain"] = [[{"email": None}]]
    await run(_flow(entity="plain", all_pages=True, check_contract=True), provider)
    assert _warnings(events) == ["node 'call' (crm/plain): record 0: email: expected string, got null"]


async def test_no_warnings_without_the_option_or_without_a_contract(events) -> None:
    provider = _provider()
    provider.client_.pages_of["list_customers"] = [[{"id": "x"}]]
    provider.client_.pages_of["no_contract"] = [[{"id": "x"}]]
    await run(_flow(entity="list_customers", all_pages=True), provider)
    await run(_flow(entity="no_contract", all_pages=True, check_contract=True), provider)
    assert _warnings(events) == []


async def test_warnings_are_capped_per_node_and_in_the_run_record(events) -> None:
    provider = _provider()
    provider.client_.pages_of["list_customers"] = [[{"id": str(i)} for i in range(100)]] * 3
    progress = RunProgress()
    result = await run(
        _flow(entity="list_customers", all_pages=True, check_contract=True), provider, on_event=progress.observe
    )
    assert result.ok
    assert progress.warnings_total == MAX_CONTRACT_WARNINGS == len(progress.warnings)
    assert progress.warnings[0] == "node 'call' (crm/list_customers): record 0: id: expected integer, got string"


async def test_an_invalid_response_schema_fails_the_node_clearly() -> None:
    provider = FakeProvider(entity("broken", response_schema={"type": "nope"}))
    provider.client_.pages_of["broken"] = [[{"id": 1}]]
    result = await run(_flow(entity="broken", all_pages=True, check_contract=True), provider)
    assert not result.ok
    assert "node 'call' (api_call) failed" in result.error and "response_schema.type" in result.error
