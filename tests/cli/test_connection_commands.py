"""``flowdesk connection add | list | show | test | export | remove``, ``entity list`` and ``call`` as a user runs
them against the demo API, with connection files in the ARCHITECTURE.md format."""

from __future__ import annotations

import json

from flowdesk import __version__
from tests.cli.conftest import demo_connection, ids_of


def test_version(cli):
    result = cli("--version")

    assert result.code == 0
    assert result.out.strip() == f"flowdesk {__version__}"


def test_add_list_show_export_remove(cli, write_file, demo_server, tmp_path):
    path = write_file(demo_connection(demo_server))

    added = cli("connection", "add", str(path))
    assert added.code == 0, added.err
    assert "Added connection 'demo-crm'" in added.err
    assert "1 secret(s) sealed" in added.err

    table = cli("connection", "list")
    assert table.code == 0
    header, row = table.out.splitlines()
    assert header.split()[:4] == ["NAME", "SERVICE", "BASE", "URL"]
    assert row.split()[:5] == ["demo-crm", "rest", f"{demo_server.base_url}/api", "api_key", "16"]

    listed = cli("connection", "list", "--json").json()
    assert [(c["name"], c["service"], c["auth_type"], c["entity_count"]) for c in listed] == [
        ("demo-crm", "rest", "api_key", 16)
    ]
    assert listed[0]["base_url"] == f"{demo_server.base_url}/api"

    shown = cli("connection", "show", "demo-crm")
    assert shown.code == 0
    settings = shown.json()
    assert settings["auth"] == {"type": "api_key", "location": "header", "name": "X-API-Key", "key": "•••••• (set)"}
    assert settings["retry"]["count"] == 3
    assert len(settings["entities"]) == 16

    exported = cli("connection", "export", "demo-crm")
    assert exported.code == 0
    document = exported.json()
    assert document["auth"]["key"] is None
    assert document["reenter_secrets"] == ["auth.key"]
    assert {e["name"] for e in document["entities"]} >= {"list_customers", "get_customer"}

    # the export is a connection file again: once the secret is entered, it can be added back
    out = tmp_path / "exported.json"
    written = cli("connection", "export", "demo-crm", "--out", str(out))
    assert written.code == 0
    assert "secrets left out: auth.key" in written.err
    assert json.loads(out.read_text(encoding="utf-8")) == document

    removed = cli("connection", "remove", "demo-crm")
    assert removed.code == 0
    assert "Removed connection 'demo-crm'" in removed.err
    assert cli("connection", "list", "--json").json() == []
    gone = cli("connection", "show", "demo-crm")
    assert gone.code == 2
    assert "no connection 'demo-crm'" in gone.err


def test_show_masks_every_secret(cli, add_connection, demo_server):
    data = demo_connection(
        demo_server,
        preset="basic",
        headers={"X-Tenant": "acme", "X-Session-Token": "session-s3cr3t"},
        proxy="http://proxy-user:proxy-s3cr3t@127.0.0.1:3128",
    )
    add_connection(data)

    shown = cli("connection", "show", "demo-crm")
    settings = shown.json()

    assert settings["auth"] == {"type": "basic", "username": "demo", "password": "•••••• (set)"}
    assert settings["headers"] == {"X-Tenant": "acme", "X-Session-Token": "•••••• (set)"}
    assert settings["proxy"]["url"] == "http://127.0.0.1:3128"
    assert settings["proxy"]["username"] == "proxy-user"
    assert settings["proxy"]["password"] == "•••••• (set)"
    for text in (shown.out, cli("connection", "export", "demo-crm").out):
        assert "session-s3cr3t" not in text
        assert "proxy-s3cr3t" not in text
    exported = cli("connection", "export", "demo-crm").json()
    assert exported["reenter_secrets"] == ["auth.password", "headers.X-Session-Token", "proxy.password"]


def test_add_refuses_a_taken_name_unless_replace(cli, add_connection, write_file, demo_server):
    add_connection(demo_connection(demo_server))
    changed = demo_connection(demo_server, description="second version", timeout=12)
    path = write_file(changed, "changed.json")

    again = cli("connection", "add", str(path))
    assert again.code == 2
    assert "demo-crm" in again.err
    assert cli("connection", "show", "demo-crm").json()["timeout"] == 30.0

    replaced = cli("connection", "add", "--replace", str(path))
    assert replaced.code == 0, replaced.err
    settings = cli("connection", "show", "demo-crm").json()
    assert settings["timeout"] == 12
    assert settings["description"] == "second version"
    assert len(cli("connection", "list", "--json").json()) == 1
    # the replaced connection still has its (re-sealed) key
    assert cli("call", "demo-crm", "get_customer", "-p", "id=1", "--json").json()[0]["id"] == 1


def test_add_a_yaml_file(cli, write_file, demo_server):
    path = write_file(demo_connection(demo_server, name="from-yaml"), "connection.yaml", as_yaml=True)
    assert path.read_text(encoding="utf-8").startswith("name: from-yaml")

    added = cli("connection", "add", str(path))

    assert added.code == 0, added.err
    assert cli("connection", "show", "from-yaml").json()["auth"]["key"] == "•••••• (set)"
    assert ids_of(cli("call", "from-yaml", "list_customers", "--json")) == list(range(1, 51))


def test_connection_test_human_and_json(cli, add_connection, demo_server):
    add_connection(demo_connection(demo_server))

    human = cli("connection", "test", "demo-crm")
    assert human.code == 0, human.out
    first, *rest = human.out.splitlines()
    assert first.startswith("✓ demo-crm: HTTP 200 in ")
    assert first.endswith(" ms")
    assert any(line.strip().startswith("preview:") and '"status": "ok"' in line for line in rest)

    result = cli("connection", "test", "demo-crm", "--json").json()
    assert {"ok", "status", "elapsed_ms", "preview"} <= result.keys()
    assert result["ok"] is True
    assert result["status"] == 200
    assert isinstance(result["elapsed_ms"], int | float) and result["elapsed_ms"] >= 0
    assert result["preview"] is not None and "ok" in json.dumps(result["preview"])

    entity = cli("connection", "test", "demo-crm", "--entity", "list_customers", "--json").json()
    assert entity["ok"] is True
    assert "Vera Nakamura" in json.dumps(entity["preview"])  # the first customer, from the first page

    # the list shows what the test found
    assert cli("connection", "list", "--json").json()[0]["last_status"] == "connected"


def test_connection_test_of_a_server_that_is_down(cli, add_connection, demo_server_factory):
    server = demo_server_factory()
    add_connection(demo_connection(server))
    server.stop()
    server.stop = lambda: None  # already stopped: the factory's cleanup must not stop it twice

    result = cli("connection", "test", "demo-crm", "--json")

    assert result.code == 1
    outcome = result.json()
    assert outcome["ok"] is False
    assert outcome["status"] is None
    assert "connect" in outcome["error"]
    assert "base URL" in outcome["hint"]


def test_entity_list(cli, add_connection, demo_server):
    add_connection(demo_connection(demo_server))

    table = cli("entity", "list", "demo-crm")
    assert table.code == 0
    rows = {line.split()[0]: line.split()[1:] for line in table.out.splitlines()[1:]}
    assert rows["list_customers"] == ["GET", "/customers", "$.data", "offset"]
    assert rows["list_customers_pages"][-1] == "page"
    assert rows["list_customers_cursor"][-1] == "cursor"
    assert rows["list_customers_linked"][-1] == "link_header"
    assert rows["get_customer"] == ["GET", "/customers/{id}", "$", "none"]

    as_json = cli("entity", "list", "demo-crm", "--json").json()
    assert [e["name"] for e in as_json][:2] == ["list_customers", "list_customers_pages"]
    assert as_json[0]["pagination"]["type"] == "offset"


def test_call_one_page_with_parameters_query_and_headers(cli, add_connection, demo_server):
    add_connection(demo_connection(demo_server))

    one = cli("call", "demo-crm", "get_customer", "-p", "id=7", "--json")
    assert one.code == 0, one.err
    assert [r["id"] for r in one.json()] == [7]
    assert "HTTP 200 · 1 page(s) · 1 record(s)" in one.err

    limited = cli("call", "demo-crm", "list_customers", "-q", "region=EU", "-q", "limit=5", "--json")
    records = limited.json()
    assert len(records) == 5
    assert {r["region"] for r in records} == {"EU"}

    # a per-request header reaches the server: the demo fails on demand with X-Demo-Fail
    bad_header = cli("call", "demo-crm", "list_regions", "-H", "X-Demo-Fail: nonsense")
    assert bad_header.code == 1
    assert "HTTP 400" in bad_header.err

    # without --json: one JSON record per line on stdout, the summary on stderr
    lines = cli("call", "demo-crm", "list_regions").out.splitlines()
    assert [json.loads(line)["code"] for line in lines] == ["EU", "US", "APAC", "LATAM"]


def test_call_with_a_json_body_inline_and_from_a_file(cli, add_connection, demo_server, tmp_path):
    add_connection(demo_connection(demo_server))

    created = cli(
        "call",
        "demo-crm",
        "create_customer",
        "--body",
        '{"name": "Ada Lovelace", "email": "ada@example.com"}',
        "--json",
    )
    assert created.code == 0, created.err
    customer = created.json()[0]
    assert customer["name"] == "Ada Lovelace"
    assert customer["id"] == 251

    body = tmp_path / "patch.json"
    body.write_text(json.dumps({"status": "inactive"}), encoding="utf-8")
    patched = cli("call", "demo-crm", "update_customer", "-p", "id=251", "--body", f"@{body}", "--json")
    assert patched.code == 0, patched.err
    assert patched.json()[0]["status"] == "inactive"

    fetched = cli("call", "demo-crm", "get_customer", "-p", "id=251", "--json").json()[0]
    assert (fetched["name"], fetched["status"]) == ("Ada Lovelace", "inactive")

    refused = cli("call", "demo-crm", "create_customer", "--body", '{"name": "no email"}')
    assert refused.code == 1
    assert "HTTP 422" in refused.err
    assert "response: " in refused.err and "email" in refused.err  # what the server said is wrong


def test_call_a_path_for_a_plain_get(cli, add_connection, demo_server):
    add_connection(demo_connection(demo_server))

    result = cli("call", "demo-crm", "/customers/3", "--json")

    assert result.code == 0, result.err
    assert result.json()[0]["id"] == 3
