"""Bad input exits 2 with a message naming what is wrong and where; nothing is saved."""

from __future__ import annotations

import pytest

from tests.cli.conftest import demo_connection

BASE = {"name": "crm", "base_url": "http://127.0.0.1:8765/api"}
ENTITY = {"name": "customers", "path": "/customers"}

INVALID = {
    "unknown auth type": ({**BASE, "auth": {"type": "magic", "key": "x"}}, "auth: unknown auth type 'magic'"),
    "missing base_url": ({"name": "crm", "auth": {"type": "none"}}, "base_url: required"),
    "base_url without scheme": ({**BASE, "base_url": "127.0.0.1:8765/api"}, "base_url: base_url '127.0.0.1"),
    "base_url port out of range": (
        {**BASE, "base_url": "http://127.0.0.1:99999/api"},
        "base_url: base_url 'http://127.0.0.1:99999/api' has a port out of range",
    ),
    "proxy port out of range": (
        {**BASE, "proxy": "http://127.0.0.1:70000"},
        "proxy.url: proxy url 'http://127.0.0.1:70000' has a port out of range",
    ),
    "bad JSONPath data_path": (
        {**BASE, "entities": [{**ENTITY, "data_path": "$.data[?(@.x =="}]},
        "entities[0].data_path: invalid JSONPath",
    ),
    "bad JSONPath in the pagination": (
        {**BASE, "entities": [{**ENTITY, "pagination": {"type": "cursor", "next_cursor_path": "$..[["}}]},
        "entities[0].pagination.next_cursor_path: invalid JSONPath",
    ),
    "unknown pagination type": (
        {**BASE, "entities": [{**ENTITY, "pagination": {"type": "magic"}}]},
        "entities[0].pagination: unknown pagination type 'magic'",
    ),
    "misspelt retry field": ({**BASE, "retry": {"count": 6, "backoff": 0.01}}, "retry.backoff: unknown field"),
    "negative rate limit": ({**BASE, "rate_limit": {"requests": 0, "per_s": 1}}, "rate_limit.requests:"),
    "oauth2 without token_url": (
        {**BASE, "auth": {"type": "oauth2", "client_id": "a", "client_secret": "b"}},
        "token_url is required",
    ),
    "unknown HTTP method": ({**BASE, "entities": [{**ENTITY, "method": "FETCH"}]}, "entities[0].method:"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_an_invalid_connection_file_is_refused_naming_the_field(cli, write_file, case):
    document, expected = INVALID[case]
    path = write_file(document, "bad.json")

    result = cli("connection", "add", str(path))

    assert result.code == 2
    assert f"connection file {path} is invalid" in result.err
    assert expected in result.err
    assert "Traceback" not in result.err
    assert cli("connection", "list", "--json").json() == []


def test_a_malformed_json_file_names_line_and_column(cli, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "name": "crm",\n  "base_url": "http://127.0.0.1:8765"\n  "auth": {}\n}\n', encoding="utf-8")

    result = cli("connection", "add", str(path))

    assert result.code == 2
    assert f"{path}: not valid JSON at line 4, column 3" in result.err


def test_a_malformed_yaml_file_names_line_and_column(cli, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: crm\nbase_url: http://127.0.0.1:8765\nauth:\n  type: [none\n", encoding="utf-8")

    result = cli("connection", "add", str(path))

    assert result.code == 2
    assert str(path) in result.err
    assert "line 5" in result.err or "line 4" in result.err


def test_a_missing_file(cli, tmp_path):
    missing = tmp_path / "nope.json"

    result = cli("connection", "add", str(missing))

    assert result.code == 2
    assert f"{missing}: no such file" in result.err


def test_a_file_that_is_not_utf8(cli, tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"name": "café", "base_url": "http://127.0.0.1:8765"}'.encode("latin-1"))

    result = cli("connection", "add", str(path))

    assert result.code == 2
    assert f"{path}: not UTF-8 text (byte 13)" in result.err


def test_a_missing_env_reference_names_the_variable(cli, write_file, monkeypatch):
    monkeypatch.delenv("FLOWDESK_TEST_UNSET_KEY", raising=False)
    document = {**BASE, "auth": {"type": "api_key", "key": "${env:FLOWDESK_TEST_UNSET_KEY}"}}

    result = cli("connection", "add", str(write_file(document)))

    assert result.code == 2
    assert "FLOWDESK_TEST_UNSET_KEY" in result.err


@pytest.fixture()
def demo_added(add_connection, demo_server):
    add_connection(demo_connection(demo_server))
    return demo_server


def test_call_an_unknown_entity_lists_the_entities(cli, demo_added):
    result = cli("call", "demo-crm", "customerz")

    assert result.code == 2
    assert "no entity 'customerz'" in result.err
    assert "list_customers, list_customers_pages, list_customers_cursor" in result.err
    assert "flowdesk entity list" in result.err
    assert demo_added.stats.requests == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-p", "id"], "-p 'id' is not of the form name=value"),
        (["-p", "=7"], "-p '=7' is not of the form name=value"),
        (["-q", "limit"], "-q 'limit' is not of the form name=value"),
        (["-H", "X-Trace abc"], "-H 'X-Trace abc' is not of the form 'Name: value'"),
        (["--body", "{name: 1}"], "--body is not valid JSON at column 2"),
    ],
)
def test_call_with_malformed_options(cli, demo_added, args, expected):
    result = cli("call", "demo-crm", "get_customer", *args)

    assert result.code == 2
    assert expected in result.err
    assert demo_added.stats.requests == 0


def test_call_with_a_body_file_that_does_not_exist(cli, demo_added, tmp_path):
    missing = tmp_path / "body.json"

    result = cli("call", "demo-crm", "create_customer", "--body", f"@{missing}")

    assert result.code == 2
    assert f"--body @{missing}: cannot read {missing}" in result.err


def test_call_with_a_body_file_that_is_not_utf8(cli, demo_added, tmp_path):
    body = tmp_path / "body.json"
    body.write_bytes('{"name": "José"}'.encode("latin-1"))

    result = cli("call", "demo-crm", "create_customer", "--body", f"@{body}")

    assert result.code == 2
    assert f"{body} is not UTF-8 text" in result.err
    assert demo_added.stats.requests == 0


def test_export_to_a_folder_that_does_not_exist(cli, demo_added, tmp_path):
    target = tmp_path / "missing-folder" / "crm.json"

    result = cli("connection", "export", "demo-crm", "--out", str(target))

    assert result.code == 2
    assert f"--out {target}: cannot write the file" in result.err


def test_call_without_a_path_parameter_names_it(cli, demo_added):
    result = cli("call", "demo-crm", "get_customer")

    assert result.code == 2
    assert "entity 'get_customer' of connection 'demo-crm' needs the path parameter(s) id" in result.err
    assert "(/customers/{id}): add -p id=VALUE" in result.err
    assert demo_added.stats.requests == 0


def test_unknown_connection_lists_the_connections(cli, demo_added):
    for args in (["call", "crm", "list_customers"], ["connection", "show", "crm"], ["entity", "list", "crm"]):
        result = cli(*args)
        assert result.code == 2
        assert "no connection 'crm'" in result.err
        assert "connections: demo-crm" in result.err


def test_unknown_command_and_missing_argument_exit_2(cli):
    assert cli("connection", "frobnicate").code == 2
    missing = cli("call", "demo-crm")
    assert missing.code == 2
    assert "entity" in missing.err
