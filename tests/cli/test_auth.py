"""Every auth type against the demo API through ``flowdesk call``, and what a user sees when credentials are wrong."""

from __future__ import annotations

import pytest

from tests.cli.conftest import api_calls, assert_no_secret, demo_connection, ids_of

AUTHS = {
    "api_key_header": {"type": "api_key", "location": "header", "name": "X-API-Key", "key": "demo-key"},
    "api_key_query": {"type": "api_key", "location": "query", "name": "api_key", "key": "demo-key"},
    "basic": {"type": "basic", "username": "demo", "password": "demo-pass"},
    "bearer": {"type": "bearer", "token": "demo-token"},
}


def _oauth2(server, **fields):
    return {
        "type": "oauth2",
        "grant": "client_credentials",
        "token_url": f"{server.base_url}/oauth/token",
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "scope": "crm",
        **fields,
    }


@pytest.mark.parametrize("kind", [*AUTHS, "oauth2"])
def test_each_auth_type_fetches_customers(cli, add_connection, demo_server, kind):
    auth = _oauth2(demo_server) if kind == "oauth2" else AUTHS[kind]
    add_connection(demo_connection(demo_server, name=kind, auth=auth))

    tested = cli("connection", "test", kind, "--entity", "list_customers", "--json")
    called = cli("call", kind, "list_customers", "--json")

    assert tested.json()["ok"] is True, tested.out
    assert ids_of(called) == list(range(1, 51))
    assert demo_server.stats.unauthorized == 0
    if kind == "oauth2":
        assert demo_server.stats.token_requests >= 1
    else:
        assert demo_server.stats.token_requests == 0


def test_api_key_in_the_query_is_not_recorded(cli, add_connection, demo_server, data_dir):
    add_connection(demo_connection(demo_server, name="query-key", auth=AUTHS["api_key_query"]))

    called = cli("call", "query-key", "list_customers_linked", "--all-pages", "--json")

    assert len(ids_of(called)) == 250
    urls = [call.url for call in api_calls(data_dir, "query-key")]
    assert len(urls) == 5
    assert not [url for url in urls if "demo-key" in url]
    assert "api_key=***" in urls[-1]  # the next links carry the key: it is masked


@pytest.mark.parametrize(
    ("kind", "wrong"),
    [
        ("api_key_header", {**AUTHS["api_key_header"], "key": "wrong-key-4711"}),
        ("api_key_query", {**AUTHS["api_key_query"], "key": "wrong-key-4711"}),
        ("basic", {**AUTHS["basic"], "password": "wrong-key-4711"}),
        ("bearer", {"type": "bearer", "token": "wrong-key-4711"}),
    ],
)
def test_wrong_credentials_say_what_to_check_without_the_secret(cli, add_connection, demo_server, kind, wrong):
    add_connection(demo_connection(demo_server, name=kind, auth=wrong))

    called = cli("call", kind, "list_customers", "--json")
    tested = cli("connection", "test", kind)

    assert called.code == 1
    assert "HTTP 401" in called.err
    assert "credentials" in called.err and "check" in called.err
    assert called.out.strip() == "[]"
    assert tested.code == 1
    assert tested.out.startswith(f"✗ {kind}: HTTP 401")
    assert "check:" in tested.out and "credentials" in tested.out
    for text in (called.text, tested.text, cli("connection", "show", kind).out):
        assert_no_secret(text, ["wrong-key-4711"])
    # 401 is not retried: it would not get better
    assert demo_server.stats.unauthorized == 2


def test_wrong_oauth_client_secret_says_to_check_it(cli, add_connection, demo_server):
    add_connection(demo_connection(demo_server, name="oauth", auth=_oauth2(demo_server, client_secret="wrong-4711")))

    called = cli("call", "oauth", "list_customers")

    assert called.code == 1
    assert "token endpoint" in called.err
    assert "check the client id and client secret" in called.err
    assert_no_secret(called.text, ["wrong-4711"])
    assert demo_server.stats.by_path["/api/customers"] == 0
