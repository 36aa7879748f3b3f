"""``entity discover`` through the CLI: the fixtures, re-discovery drift, dry runs, bad input, contract checks."""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import FAST_RETRY, demo_connection
from tests.discovery.conftest import FIXTURES

PETSTORE = "swagger-petstore-v3.openapi.yaml"


@pytest.fixture()
def pets(add_connection):  # type: ignore[no-untyped-def]
    """An empty REST connection to discover into."""
    add_connection({"name": "pets", "base_url": "https://petstore.example", "retry": FAST_RETRY})
    return "pets"


@pytest.fixture()
def spec(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A copy of the petstore description that a test may change: ``spec.write(data)``; ``spec.data()``."""

    class Spec:
        path = tmp_path / "petstore.yaml"

        def data(self) -> dict:
            return yaml.safe_load(self.path.read_text(encoding="utf-8"))

        def write(self, data: dict) -> None:
            self.path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    shutil.copy(FIXTURES / PETSTORE, Spec.path)
    return Spec()


def _entities(cli, connection: str = "pets") -> dict[str, dict]:  # type: ignore[no-untyped-def]
    listed = cli("entity", "list", connection, "--json")
    assert listed.code == 0, listed.err
    return {e["name"]: e for e in listed.json()}


def _discover(cli, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = cli("entity", "discover", *args, "--json")
    assert result.code == 0, result.err
    return result.json()


# --- the fixtures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "fixture", "source", "count"),
    [
        ("--openapi", "swagger-petstore-v3.openapi.yaml", "openapi-3.0", 19),
        ("--openapi", "swagger-petstore-v31.openapi.yaml", "openapi-3.1", 6),
        ("--openapi", "petstore-classic.swagger.json", "swagger-2.0", 20),
        ("--openapi", "oai-petstore.swagger.json", "swagger-2.0", 3),
        ("--openapi", "oai-webhook-example.openapi.json", "openapi-3.1", 0),
        ("--odata", "trippin-v4.metadata.xml", "odata-v4", 23),
        ("--odata", "odatademo-v2.metadata.xml", "odata-v2", 16),
        ("--graphql", "swapi.schema.graphql", "graphql", 13),
    ],
)
def test_every_fixture_imports_with_its_operation_count(cli, pets, option, fixture, source, count):
    data = _discover(cli, "pets", option, str(FIXTURES / fixture))
    assert (data["source"], len(data["entities"])) == (source, count)
    assert data["drift"]["counts"]["added"] == count
    stored = _entities(cli)
    assert len(stored) == count
    for entity in stored.values():
        assert entity["origin"]["source"] == source
        assert entity["origin"]["ref"] == str((FIXTURES / fixture).resolve())


def test_the_human_output_lists_the_new_entities_and_the_groups(cli, pets):
    first = cli("entity", "discover", "pets", "--openapi", str(FIXTURES / PETSTORE))
    assert first.code == 0, first.err
    assert "findPetsByStatus" in first.out and "added (in the table above): 19" in first.out
    assert "saved to 'pets': 19 added" in first.err
    again = cli("entity", "discover", "pets", "--openapi", str(FIXTURES / PETSTORE))
    assert "NAME" not in again.out  # nothing new to tabulate
    assert "unchanged: 19 (" in again.out
    assert "'pets' is up to date: nothing to save (19 unchanged)" in again.err


# --- re-discovery ------------------------------------------------------------------------------------------


def test_rediscovery_keeps_edits_and_updates_upstream_changes(cli, pets, spec, write_file):
    _discover(cli, "pets", "--openapi", str(spec.path))

    # the user edits one entity through an exported file
    exported = cli("connection", "export", "pets")
    assert exported.code == 0, exported.err
    connection = json.loads(exported.out)
    for entity in connection["entities"]:
        if entity["name"] == "getPetById":
            entity["data_path"] = "$.pet"
    assert cli("connection", "add", "--replace", str(write_file(connection, "edited.json"))).code == 0

    # upstream: a path and a parameter change, an operation goes away
    data = spec.data()
    data["paths"]["/pet/findByStatus"]["get"]["parameters"][0]["required"] = True
    data["paths"]["/pets/findByStatus"] = data["paths"].pop("/pet/findByStatus")
    data["paths"]["/pet/{petId}"]["get"]["summary"] = "Find a pet"
    del data["paths"]["/user/logout"]
    spec.write(data)

    before = _entities(cli)
    dry = _discover(cli, "pets", "--openapi", str(spec.path), "--dry-run")
    assert dry["saved"] is False and dry["dry_run"] is True
    assert _entities(cli) == before  # a dry run saves nothing

    report = _discover(cli, "pets", "--openapi", str(spec.path))
    drift = report["drift"]
    assert report["saved"] is True
    assert drift == {**dry["drift"], "saved": True}
    assert drift["counts"] == {"added": 0, "changed": 1, "skipped": 1, "removed_upstream": 1, "removed": 0,
                               "unchanged": 16}  # fmt: skip
    [changed] = drift["changed"]
    assert changed["name"] == "findPetsByStatus"
    assert changed["changes"] == [
        "path: /pet/findByStatus → /pets/findByStatus",
        "parameter `status` (query): required false → true",
    ]
    [skipped] = drift["skipped"]
    assert skipped["name"] == "getPetById" and "the description changed it too" in skipped["reason"]
    assert skipped["changes"] == ["data path: $.pet → $", "description changed"]
    assert drift["removed_upstream"] == [{"name": "logoutUser", "status": "removed_upstream",
                                          "reason": "kept: --replace removes it"}]  # fmt: skip

    stored = _entities(cli)
    assert stored["findPetsByStatus"]["path"] == "/pets/findByStatus"
    assert stored["getPetById"]["data_path"] == "$.pet"  # the edit survived
    assert "logoutUser" in stored

    human = cli("entity", "discover", "pets", "--openapi", str(spec.path), "--dry-run")
    assert "skipped, kept as stored (stored → description): 1" in human.out
    assert "    - data path: $.pet → $" in human.out
    assert "removed upstream: 1" in human.out and "logoutUser: kept: --replace removes it" in human.out
    assert "dry run: nothing saved (would be: 1 skipped, 1 removed upstream, 17 unchanged)" in human.err

    replaced = _discover(cli, "pets", "--openapi", str(spec.path), "--replace")
    assert replaced["drift"]["counts"]["changed"] == 1 and replaced["drift"]["counts"]["removed_upstream"] == 1
    stored = _entities(cli)
    assert stored["getPetById"]["data_path"] == "$" and "logoutUser" not in stored
    assert len(stored) == 18


def test_hand_made_entities_survive_rediscovery(cli, add_connection):
    hand_made = [{"name": "health", "path": "/health"}, {"name": "addPet", "path": "/mine"}]
    add_connection({"name": "pets", "base_url": "https://petstore.example", "entities": hand_made})
    drift = _discover(cli, "pets", "--openapi", str(FIXTURES / PETSTORE))["drift"]
    assert drift["skipped"][0]["name"] == "addPet" and "made by hand" in drift["skipped"][0]["reason"]
    stored = _entities(cli)
    assert stored["addPet"]["path"] == "/mine" and "health" in stored and len(stored) == 20


def test_rediscovery_through_the_workspace_api(data_dir, spec):
    import asyncio

    from flowdesk.model import Connection
    from flowdesk.workspace import Workspace

    async def scenario() -> None:
        ws = Workspace.open(data_dir, user="tester")
        try:
            ws.add_connection(Connection(name="pets", base_url="https://petstore.example"))
            await ws.discover("pets", openapi=str(spec.path))
            edited = ws.entity("pets", "addPet").model_copy(update={"description": "my own words"})
            ws.set_entities("pets", [edited])
            result = await ws.discover("pets", openapi=str(spec.path))
            assert result.drift is not None and result.drift.entry("addPet").status == "skipped"
            assert ws.entity("pets", "addPet").description == "my own words"
        finally:
            await ws.aclose()

    asyncio.run(scenario())


# --- bad input ---------------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("openapi: 3.0.0\ninfo:\n  title: x\n  version: : 1\n", r"bad\.yaml: .*line 4, column 12"),
        ('{"openapi": "3.0.0",\n "paths": }', r"bad\.yaml: .*line 2"),
        ("title: hello\n", r"bad\.yaml: not an OpenAPI or Swagger document \(no `openapi` or `swagger` field\)"),
        (json.dumps({"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {"/p": {"get": {
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Gone"}}}}}}}}}),
         r"bad\.yaml: paths\./p\.get\.responses\.200\.content\.application/json\.schema: "
         r"\$ref '#/components/schemas/Gone' points at nothing"),
        (b"\xff\xfe\x00binary", r"bad\.yaml: not a text document \(byte 0 is not UTF-8\)"),
    ],
)  # fmt: skip
def test_a_malformed_description_is_one_clear_error_and_changes_nothing(cli, pets, tmp_path, content, message):
    _discover(cli, "pets", "--openapi", str(FIXTURES / PETSTORE))
    before = _entities(cli)
    bad = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content, encoding="utf-8")
    for extra in ((), ("--replace",)):
        result = cli("entity", "discover", "pets", "--openapi", str(bad), *extra)
        assert result.code != 0
        assert result.err.count("\n") == 1 and result.err.startswith("error: "), result.err
        assert re.search(message, result.err), result.err
    assert _entities(cli) == before


def test_missing_files_and_unreachable_urls_are_named(cli, pets, tmp_path):
    missing = cli("entity", "discover", "pets", "--odata", str(tmp_path / "nope.xml"))
    assert missing.code != 0 and f"{tmp_path / 'nope.xml'}: no such file" in missing.err
    url = f"http://127.0.0.1:{_closed_port()}/openapi.json"
    unreachable = cli("entity", "discover", "pets", "--openapi", url)
    assert unreachable.code != 0
    assert "127.0.0.1" in unreachable.err and "openapi.json" in unreachable.err, unreachable.err
    not_xml = tmp_path / "metadata.xml"
    not_xml.write_text("<edmx:Edmx><oops></edmx:Edmx>", encoding="utf-8")
    broken = cli("entity", "discover", "pets", "--odata", str(not_xml))
    assert broken.code != 0 and "metadata.xml: line 1, column" in broken.err
    assert _entities(cli) == {}


def test_an_unknown_connection_is_named(cli):
    result = cli("entity", "discover", "nope", "--openapi", str(FIXTURES / PETSTORE))
    assert result.code != 0 and "nope" in result.err


# --- contract checks ---------------------------------------------------------------------------------------


def _demo_with_discovered_entities(cli, add_connection, demo_server) -> None:  # type: ignore[no-untyped-def]
    add_connection(demo_connection(demo_server, name="crm", entities=[]))
    data = _discover(cli, "crm", "--openapi", f"{demo_server.base_url}/openapi.json")
    assert data["drift"]["counts"]["added"] >= 16


def _break_contract(data_dir: Path) -> None:
    """Make the stored contract of list_customers claim that ``email`` is an integer."""
    from flowdesk.workspace import Workspace

    ws = Workspace.open(data_dir)  # as the CLI's default user, who made the workspace
    try:
        entity = ws.entity("crm", "list_customers")
        schema = json.loads(json.dumps(entity.response_schema).replace('"email": {"type": "string"}',
                                                                         '"email": {"type": "integer"}'))  # fmt: skip
        assert schema != entity.response_schema
        ws.set_entities("crm", [entity.model_copy(update={"response_schema": schema})])
    finally:
        ws.close()


def test_call_check_contract_passes_then_names_each_mismatch(cli, add_connection, demo_server, data_dir):
    _demo_with_discovered_entities(cli, add_connection, demo_server)
    ok = cli("call", "crm", "list_customers", "--json", "--check-contract")
    assert ok.code == 0, ok.err
    assert "record(s) match the response schema of 'list_customers'" in ok.err
    assert "warning" not in ok.err

    _break_contract(data_dir)
    warned = cli("call", "crm", "list_customers", "--json", "--check-contract")
    assert warned.code == 0  # warnings do not fail the call
    assert len(warned.json()) > 0
    lines = [line for line in warned.err.splitlines() if line.startswith("warning: ")]
    assert lines[0] == "warning: contract of 'list_customers': record 0: email: expected integer, got string"
    assert lines[-1] == "warning: contract of 'list_customers': only the first 20 mismatches are listed"

    plain = cli("call", "crm", "list_customers", "--json")
    assert "contract" not in plain.err


def test_call_check_contract_on_an_entity_without_one(cli, add_connection, demo_server):
    add_connection(demo_connection(demo_server, name="crm", entities=[]))
    result = cli("call", "crm", "/customers", "--check-contract")
    assert result.code == 0, result.err
    assert "has no contract to check" in result.err


def test_a_flow_records_contract_warnings_in_its_run(cli, add_connection, demo_server, data_dir, write_file):
    _demo_with_discovered_entities(cli, add_connection, demo_server)
    _break_contract(data_dir)
    flow = {
        "name": "checked",
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"kind": "manual"}},
            {"id": "customers", "type": "api_call",
             "config": {"connection": "crm", "entity": "list_customers", "check_contract": True}},
        ],
        "edges": [{"source": "start.out", "target": "customers.in"}],
    }  # fmt: skip
    run = cli("flow", "run", str(write_file(flow, "checked.flow.json")), "--json")
    assert run.code == 0, run.err
    result = run.json()
    assert result["status"] == "succeeded"
    assert result["warnings"][0] == (
        "node 'customers' (crm/list_customers): record 0: email: expected integer, got string"
    )

    shown = cli("runs", "show", result["run_id"])
    assert "20 warning(s):" in shown.out
    assert "  warning: node 'customers' (crm/list_customers): record 0: email: expected integer" in shown.out
    detail = cli("runs", "show", result["run_id"], "--json").json()
    assert detail["info"]["summary"]["warnings_total"] == 20
