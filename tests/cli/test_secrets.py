"""After every auth type, failures and exports, no secret is readable in any file of the data dir, nor in
anything the CLI printed."""

from __future__ import annotations

import base64

import keyring
import keyring.backends.fail

from tests.cli.conftest import (
    DEMO_SECRETS,
    assert_no_secret,
    demo_connection,
    files_containing,
    ids_of,
    issued_tokens,
)

ENV_KEY = "env-sourced-k3y-7788"
HEADER_SECRET = "header-s3cr3t-5566"
MASTER_PASSWORD = "master-pw-9911"


def test_no_secret_in_the_data_dir_or_the_output(cli, add_connection, demo_server_factory, data_dir, monkeypatch):
    # as on a headless machine: no usable OS keychain, so the data key is wrapped in the vault file
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv("FLOWDESK_MASTER_PASSWORD", MASTER_PASSWORD)
    server = demo_server_factory(error_rate=0.2, seed=3, token_ttl_s=1)
    monkeypatch.setenv("FLOWDESK_TEST_KEY", "demo-key")
    monkeypatch.setenv("FLOWDESK_TEST_ENV_ONLY", ENV_KEY)
    retry = {"count": 6, "backoff_s": 0.005}
    add_connection(demo_connection(server, name="header-key", retry=retry, headers={"X-Extra-Token": HEADER_SECRET}))
    add_connection(
        demo_connection(
            server,
            name="query-key",
            retry=retry,
            auth={"type": "api_key", "location": "query", "name": "api_key", "key": "${env:FLOWDESK_TEST_KEY}"},
        )
    )
    add_connection(demo_connection(server, "basic", name="basic", retry=retry))
    add_connection(demo_connection(server, "bearer", name="bearer", retry=retry))
    add_connection(demo_connection(server, "oauth2", name="oauth", retry=retry))
    add_connection(demo_connection(server, "oauth2", name="oauth", retry=retry), "--workspace", "Team")
    add_connection(
        demo_connection(
            server,
            name="wrong",
            retry=retry,
            auth={"type": "api_key", "name": "X-API-Key", "key": "${env:FLOWDESK_TEST_ENV_ONLY}"},
        )
    )

    outputs = []
    for name in ("header-key", "query-key", "basic", "bearer", "oauth"):
        for args in (
            ("connection", "test", name, "--entity", "list_customers"),
            ("call", name, "list_customers_linked", "--all-pages", "--json"),
            ("connection", "show", name),
            ("connection", "export", name),
        ):
            result = cli(*args)
            outputs.append(result.text)
            if args[0] == "call":
                assert result.code == 0, result.err
    outputs.append(cli("--workspace", "Team", "call", "oauth", "list_customers", "--all-pages", "--json").text)
    failed = cli("call", "wrong", "list_customers")
    assert failed.code == 1
    outputs += [failed.text, cli("call", "basic", "list_regions", "-H", "X-Demo-Fail: 500").text]
    assert cli("connection", "list").code == 0

    tokens = issued_tokens(server)
    assert len(tokens) >= 4  # one access and refresh token per run at least
    basic_pair = base64.b64encode(b"demo:demo-pass").decode()  # what an Authorization: Basic header carries
    secrets = [*DEMO_SECRETS, ENV_KEY, HEADER_SECRET, basic_pair, MASTER_PASSWORD, *tokens]
    assert {"flowdesk.db", "vault.json"} <= {p.name for p in data_dir.iterdir()}
    assert files_containing(data_dir, secrets) == {}
    for text in outputs:
        assert_no_secret(text, secrets)


def test_export_then_add_back_asks_only_for_the_secret(cli, add_connection, write_file, demo_server, monkeypatch):
    add_connection(demo_connection(demo_server))
    exported = cli("connection", "export", "demo-crm").json()
    assert exported["reenter_secrets"] == ["auth.key"]

    exported["name"] = "restored"
    exported["auth"]["key"] = "${env:FLOWDESK_TEST_RESTORED_KEY}"
    monkeypatch.setenv("FLOWDESK_TEST_RESTORED_KEY", "demo-key")
    added = cli("connection", "add", str(write_file(exported, "restored.json")))

    assert added.code == 0, added.err
    assert ids_of(cli("call", "restored", "get_customer", "-p", "id=4", "--json")) == [4]
