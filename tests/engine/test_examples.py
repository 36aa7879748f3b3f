"""The flows in resources/examples/: each validates and runs against the bundled demo API."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from flowdesk.connections import ConnectionClient
from flowdesk.demo import demo_connection_data
from flowdesk.engine import FlowRunner, RunResult
from flowdesk.model import Connection, Entity, parse_connection, read_document
from flowdesk.model.errors import NotFoundError
from flowdesk.model.flow import validate_flow

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
NAMES = sorted(p.name.removesuffix(".flow.json") for p in EXAMPLES.glob("*.flow.json"))


class DemoProvider:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._client = ConnectionClient(connection)

    def entity(self, connection: str, name: str) -> Entity:
        found = self.connection.entity(name) if connection == self.connection.name else None
        if found is None:
            raise NotFoundError(f"no entity {connection}/{name}")
        return found

    def client(self, connection: str) -> ConnectionClient:
        return self._client


@pytest.fixture()
async def demo(demo_server) -> AsyncIterator[DemoProvider]:  # type: ignore[no-untyped-def]
    provider = DemoProvider(parse_connection(demo_connection_data(demo_server.base_url)))
    yield provider
    await provider._client.aclose()


def load(name: str) -> dict[str, Any]:
    return read_document(EXAMPLES / f"{name}.flow.json")  # type: ignore[no-any-return]


def test_there_is_an_example_per_seed_pattern() -> None:
    assert NAMES == [
        "create_multiple_records",
        "delta_sync",
        "error_handler",
        "list_all_customers",
        "lookup_reference_data",
        "paginate_while_has_more",
        "parallel_requests_combined",
        "two_step_create_publish",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_each_example_validates_against_the_demo_connection(name: str) -> None:
    connection = parse_connection(demo_connection_data("http://127.0.0.1:1"))
    flow = validate_flow(load(name), {connection.name: {e.name for e in connection.entities}})
    assert flow.name == name and flow.description
    assert all(n.title and n.position for n in flow.nodes)


async def run_example(name: str, demo: DemoProvider, **variables: Any) -> RunResult:
    flow = validate_flow(load(name), {demo.connection.name: {e.name for e in demo.connection.entities}})
    result = await FlowRunner(flow, clients=demo, variables=variables).run()
    assert result.status == "succeeded", result.error
    return result


async def test_list_all_customers(demo: DemoProvider, tmp_path: Path) -> None:
    result = await run_example("list_all_customers", demo, outDir=str(tmp_path))
    lines = (tmp_path / "customers.jsonl").read_text().splitlines()
    assert len(lines) == 250 and json.loads(lines[0])["id"] == 1
    assert result.counts["customers"]["out"] == 250


async def test_create_multiple_records(demo: DemoProvider) -> None:
    result = await run_example("create_multiple_records", demo)
    created = result.outputs["created.out"][0]["items"]
    assert sorted(c["name"] for c in created) == ["Ada Example", "Ben Example", "Chloe Example"]
    assert all(c["id"] > 250 for c in created)


async def test_delta_sync_returns_only_changes_after_last_sync(demo: DemoProvider, tmp_path: Path) -> None:
    await run_example("delta_sync", demo, outDir=str(tmp_path))
    everything = (tmp_path / "changes.jsonl").read_text().splitlines()
    assert len(everything) == 250
    latest = max(json.loads(line)["updated_at"] for line in everything)
    result = await run_example("delta_sync", demo, outDir=str(tmp_path), lastSync=latest)
    assert result.counts["changes"]["out"] == 0
    assert len((tmp_path / "changes.jsonl").read_text().splitlines()) == 250  # appended nothing


async def test_lookup_reference_data(demo: DemoProvider, tmp_path: Path) -> None:
    await run_example("lookup_reference_data", demo, outDir=str(tmp_path))
    rows = list(csv.DictReader((tmp_path / "customers_with_regions.csv").open(newline="")))
    assert len(rows) == 250 and "regionInfo" not in rows[0]
    names = {"EU": "Europe", "US": "United States", "APAC": "Asia-Pacific", "LATAM": "Latin America"}
    assert all(row["regionName"] == names[row["region"]] for row in rows)


async def test_error_handler(demo: DemoProvider) -> None:
    result = await run_example("error_handler", demo)
    assert sorted(c["id"] for c in result.outputs["found.out"][0]["items"]) == [1, 2, 3]
    (failure,) = result.outputs["failed.out"][0]["items"]
    assert failure["customerId"] == 999999 and failure["status"] == 404 and "404" in failure["error"]


async def test_parallel_requests_combined(demo: DemoProvider) -> None:
    result = await run_example("parallel_requests_combined", demo)
    combined = result.outputs["all.out"][0]
    assert combined["count"] == 10 + 4
    assert {r["code"] for r in combined["items"] if "code" in r} == {"EU", "US", "APAC", "LATAM"}


async def test_two_step_create_publish(demo: DemoProvider) -> None:
    result = await run_example("two_step_create_publish", demo)
    published = result.outputs["published.out"][0]["items"]
    assert len(published) == 2 and all(m["status"] == "published" for m in published)


async def test_paginate_while_has_more(demo: DemoProvider) -> None:
    result = await run_example("paginate_while_has_more", demo)
    gathered = result.outputs["all.out"][0]
    assert gathered["count"] == 250
    assert sorted(i["customer"]["id"] for i in gathered["items"]) == list(range(1, 251))
    assert result.counts["next_page"]["in"] == 5  # 250 customers, 50 a page
