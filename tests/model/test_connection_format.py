"""Connection files: what validates, and what a user is told when it does not."""

from __future__ import annotations

import json

import pytest

from flowdesk.model import Connection, load_connection, parse_connection, public_dict, secret_values, with_secrets
from flowdesk.model.errors import InvalidConfigError, UserError


def problems(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(InvalidConfigError) as caught:
        parse_connection(data)
    return caught.value.problems


def test_full_connection_with_every_setting_validates() -> None:
    conn = parse_connection(
        {
            "name": "crm",
            "service": "rest",
            "base_url": "https://api.example.com/v1/",
            "timeout": 12,
            "retry": {"count": 5, "backoff_s": 0.5, "on": [429, 503]},
            "rate_limit": {"requests": 10, "per_s": 1},
            "headers": {"Accept": "application/json"},
            "verify_ssl": False,
            "ca_bundle": "/etc/ca.pem",
            "client_cert": {"cert": "/c.pem", "key": "/k.pem"},
            "proxy": {"url": "http://proxy:3128", "username": "u", "password": "pw"},
            "auth": {"type": "api_key", "location": "query", "name": "api_key", "key": "k"},
            "entities": [
                {
                    "name": "customers",
                    "path": "/customers",
                    "data_path": "$.data.customers",
                    "pagination": {"type": "offset", "limit": 50},
                },
                {"name": "next", "path": "/n", "pagination": {"type": "cursor", "next_cursor_path": "$.meta.next"}},
                {"name": "pages", "path": "/p", "pagination": {"type": "page", "total_pages_path": "$.total_pages"}},
                {"name": "linked", "path": "/l", "pagination": "link_header"},
            ],
        }
    )
    assert conn.base_url == "https://api.example.com/v1"
    assert conn.retry.count == 5 and conn.rate_limit is not None and conn.rate_limit.requests == 10
    assert [e.pagination.type for e in conn.entities] == ["offset", "cursor", "page", "link_header"]
    assert conn.proxy is not None and conn.proxy.url == "http://proxy:3128"


@pytest.mark.parametrize(
    ("data", "where", "words"),
    [
        ({"name": "a"}, "base_url", "required"),
        ({"name": "a", "base_url": "http://127.0.0.1:70000"}, "base_url", "out of range"),
        ({"name": "a", "base_url": "ftp://x"}, "base_url", "must start with"),
        ({"name": "a", "base_url": "http://x", "auth": {"type": "magic"}}, "auth", "unknown auth type 'magic'"),
        (
            {"name": "a", "base_url": "http://x", "entities": [{"name": "e", "data_path": "$.[["}]},
            "entities[0].data_path",
            "invalid JSONPath",
        ),
        ({"name": "a", "base_url": "http://x", "timeout": -1}, "timeout", "greater than 0"),
        ({"name": "a", "base_url": "http://x", "retry": {"on": [999]}}, "retry.on", "not an HTTP status"),
        ({"name": "a", "base_url": "http://x", "colour": "red"}, "colour", "unknown field"),
        (
            {"name": "a", "base_url": "http://x", "entities": [{"name": "e", "pagination": {"type": "sometimes"}}]},
            "entities[0].pagination",
            "unknown pagination type",
        ),
    ],
)
def test_invalid_connections_name_the_field(data: dict, where: str, words: str) -> None:
    found = problems(data)
    assert any(loc == where and words in msg for loc, msg in found), found


def test_error_messages_never_echo_secret_values() -> None:
    secret = "sk_live_do_not_print"
    with pytest.raises(InvalidConfigError) as caught:
        parse_connection({"name": "a", "base_url": "http://x", "auth": {"type": "bearer", "token": secret, "x": 1}})
    assert secret not in str(caught.value)


def test_auth_shorthand_spellings_mean_the_same() -> None:
    a = parse_connection({"name": "a", "base_url": "http://x", "auth": {"bearer": {"token": "t"}}})
    b = parse_connection({"name": "a", "base_url": "http://x", "auth": {"kind": "bearer", "token": "t"}})
    assert a.auth == b.auth


def test_env_references_are_resolved_and_missing_ones_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_KEY", "from-env")
    conn = parse_connection(
        {"name": "a", "base_url": "http://x", "auth": {"type": "bearer", "token": "${env:CRM_KEY}"}}
    )
    assert secret_values(conn) == {"auth.token": "from-env"}
    monkeypatch.delenv("CRM_KEY")
    found = problems({"name": "a", "base_url": "http://x", "auth": {"type": "bearer", "token": "${env:CRM_KEY}"}})
    assert found == [("auth.token", "environment variable CRM_KEY is not set")]


def test_public_dict_drops_every_secret_and_with_secrets_restores_them() -> None:
    conn = parse_connection(
        {
            "name": "a",
            "base_url": "http://x",
            "headers": {"Authorization": "Bearer hdr-secret", "Accept": "json"},
            "proxy": {"url": "http://p:1", "password": "proxy-secret"},
            "auth": {"type": "oauth2", "client_id": "id", "client_secret": "cs-secret", "token_url": "http://x/t"},
        }
    )
    secrets = secret_values(conn)
    assert set(secrets) == {"headers.Authorization", "proxy.password", "auth.client_secret"}
    text = json.dumps(public_dict(conn))
    for value in secrets.values():
        assert value not in text
    assert with_secrets(public_dict(conn), secrets) == conn


def test_unreadable_and_malformed_files_name_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match="no such file"):
        load_connection(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "a",, }')
    with pytest.raises(UserError, match=r"bad.json: not valid JSON at line 1"):
        load_connection(bad)
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("name: a\nbase_url: http://x\nauth:\n  type: basic\n  username: u\n  password: p\n")
    assert load_connection(yaml_file).auth.type == "basic"


def test_preset_services_are_flagged() -> None:
    assert Connection(name="g", service="github", base_url="https://api.github.com").is_preset
    assert not Connection(name="r", base_url="https://x").is_preset
