"""Connections: every setting survives a round trip; the one-per-service rule; renames and removals."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flowdesk.model import ApiCallMade, Entity
from flowdesk.model.errors import ConflictError, NotFoundError

from .conftest import WS
from .helpers import BASE, connection, secret

ENTITIES: list[dict[str, Any]] = [
    {
        "name": "customers",
        "method": "get",
        "path": "/customers",
        "description": "All customers",
        "query": {"status": "active", "expand": ["orders"]},
        "headers": {"Accept": "application/json"},
        "data_path": "$.data.customers",
        "pagination": {"type": "offset", "offset_param": "skip", "limit_param": "take", "limit": 50, "start": 10},
        "schema": [
            {"field": "id", "type": "integer", "path": "$.id", "description": "key"},
            {"field": "email", "type": "string"},
        ],
        "tags": ["crm"],
        "parameters": [{"name": "status", "in": "query"}],
    },
    {
        "name": "orders",
        "path": "/customers/{customerId}/orders",
        "data_path": "$",
        "pagination": {"type": "cursor", "cursor_param": "after", "next_cursor_path": "$.meta.next", "limit": 25},
    },
    {
        "name": "invoices",
        "path": "/invoices",
        "pagination": {"type": "page", "page_param": "p", "size": 20, "total_pages_path": "$.meta.pages"},
    },
    {"name": "events", "path": "/events", "pagination": {"type": "link_header"}},
    {
        "name": "create_order",
        "method": "POST",
        "path": "/orders",
        "body": {"customer": "{customerId}", "lines": []},
        "body_type": "json",
        "idempotent": True,
    },
    {"name": "upload", "method": "PUT", "path": "/files", "body_type": "multipart"},
]

AUTHS: dict[str, dict[str, Any]] = {
    "none": {"type": "none"},
    "api_key_header": {"type": "api_key", "location": "header", "name": "X-Api-Token", "key": "ak-123"},
    "api_key_query": {"type": "api_key", "in": "query", "name": "apikey", "value": "ak-456"},
    "basic": {"type": "basic", "username": "ann", "password": "pw-basic"},
    "digest": {"type": "digest", "username": "bob", "password": "pw-digest"},
    "bearer": {"type": "bearer", "token": "tok-bearer"},
    "oauth2_client_credentials": {
        "type": "oauth2",
        "client_id": "cid",
        "client_secret": "cs-oauth",
        "token_url": "https://auth.example.com/token",
        "scope": ["read", "write"],
        "audience": "https://api.example.com",
        "client_auth": "post",
        "refresh_leeway_s": 30,
    },
    "oauth2_authorization_code": {
        "type": "oauth2",
        "grant": "authorization_code",
        "client_id": "cid",
        "client_secret": "cs-code",
        "token_url": "https://auth.example.com/token",
        "authorize_url": "https://auth.example.com/authorize",
        "revocation_url": "https://auth.example.com/revoke",
        "use_pkce": False,
        "access_token": "at-123",
        "refresh_token": "rt-456",
        "expires_at": 1_900_000_000.5,
    },
}


def _full(name: str = "crm", auth: dict[str, Any] | None = None, **extra: Any) -> Any:
    return connection(
        name,
        description="The CRM",
        timeout=12.5,
        retry={"count": 5, "backoff_s": 0.5, "max_backoff_s": 8, "on": [429, 503]},
        rate_limit={"requests": 10, "per_s": 1.5},
        headers={"X-Trace": "on", "Authorization": "Token hdr-secret"},
        verify_ssl=False,
        ca_bundle="/etc/ssl/company-ca.pem",
        client_cert={"cert": "/certs/me.pem", "key": "/certs/me.key", "password": "cert-pw"},
        proxy={"url": "http://proxy.local:3128", "username": "pu", "password": "proxy-pw"},
        auth=auth or AUTHS["basic"],
        entities=ENTITIES,
        test_entity="customers",
        **extra,
    )


@pytest.mark.parametrize("auth", AUTHS.values(), ids=AUTHS.keys())
def test_every_setting_and_auth_type_round_trips(store, auth):
    saved = _full(auth=auth)

    store.add_connection(WS, saved)
    loaded = store.get_connection(WS, "crm")

    assert loaded == saved  # SecretStr compares by value: the secrets came back too
    assert loaded.model_dump(mode="json") == saved.model_dump(mode="json")
    assert [e.name for e in loaded.entities] == [e["name"] for e in ENTITIES]
    assert loaded.entities[0].pagination.limit == 50
    assert [f.field for f in loaded.entities[0].schema_] == ["id", "email"]
    assert loaded.headers == {"X-Trace": "on", "Authorization": "Token hdr-secret"}
    assert secret(loaded.proxy.password) == "proxy-pw"
    assert secret(loaded.client_cert.password) == "cert-pw"


def test_round_trip_survives_closing_and_reopening(open_store, store):
    saved = _full(auth=AUTHS["oauth2_authorization_code"])
    store.add_connection(WS, saved)
    store.close()

    loaded = open_store().get_connection(WS, "crm")

    assert loaded == saved
    assert secret(loaded.auth.refresh_token) == "rt-456"


def test_a_duplicate_name_is_a_conflict_and_keeps_the_first(store):
    store.add_connection(WS, connection("crm", auth={"type": "bearer", "token": "first"}))

    with pytest.raises(ConflictError, match="'crm' already exists"):
        store.add_connection(WS, connection("crm", base_url="https://other.example.com"))

    kept = store.get_connection(WS, "crm")
    assert kept.base_url == BASE
    assert secret(kept.auth.token) == "first"


def test_replace_overwrites_a_connection_of_the_same_name(store):
    store.add_connection(WS, _full())

    store.add_connection(WS, connection("crm", base_url="https://other.example.com"), replace=True)

    replaced = store.get_connection(WS, "crm")
    assert replaced.base_url == "https://other.example.com"
    assert replaced.auth.type == "none"
    assert replaced.entities == []
    assert replaced.headers == {}
    assert [c.name for c in store.list_connections(WS)] == ["crm"]


def test_a_second_connection_of_a_preset_service_is_refused(store):
    store.add_connection(WS, connection("gh", service="github", auth={"type": "bearer", "token": "ghp_1"}))

    with pytest.raises(ConflictError) as caught:
        store.add_connection(WS, connection("gh-work", service="github", auth={"type": "bearer", "token": "ghp_2"}))

    assert caught.value.message == "Only one github connection allowed per workspace"
    assert [c.name for c in store.list_connections(WS)] == ["gh"]


def test_replace_does_not_get_around_the_one_per_service_rule(store):
    store.add_connection(WS, connection("gh", service="github"))

    with pytest.raises(ConflictError) as caught:
        store.add_connection(WS, connection("gh-work", service="GitHub"), replace=True)

    assert caught.value.message == "Only one github connection allowed per workspace"
    store.add_connection(WS, connection("gh", service="github", base_url="https://ghe.example.com"), replace=True)
    assert store.get_connection(WS, "gh").base_url == "https://ghe.example.com"


def test_the_same_preset_in_another_workspace_is_fine(store):
    store.ensure_workspace("Team")
    store.add_connection(WS, connection("gh", service="github"))

    store.add_connection("Team", connection("gh-team", service="github"))

    assert [c.name for c in store.list_connections("Team")] == ["gh-team"]
    assert [c.service for c in store.list_connections(WS)] == ["github"]


def test_generic_rest_connections_are_keyed_by_name(store):
    store.add_connection(WS, connection("crm", service="rest"))
    store.add_connection(WS, connection("billing", service="rest"))
    store.add_connection(WS, connection("ledger", service="odata"))
    store.add_connection(WS, connection("catalog", service="odata"))

    assert [c.name for c in store.list_connections(WS)] == ["billing", "catalog", "crm", "ledger"]


def test_renaming_a_connection_keeps_its_call_history_and_secrets(store):
    store.add_connection(WS, connection("crm", auth={"type": "api_key", "key": "k-rename"}))
    now = time.time()
    store.record_api_calls(
        WS,
        [
            ApiCallMade(connection="crm", method="GET", url=f"{BASE}/a", status=200, duration_ms=5, at=now - 20),
            ApiCallMade(connection="crm", method="GET", url=f"{BASE}/b", status=500, duration_ms=7, at=now - 10),
        ],
    )

    store.update_connection(WS, "crm", connection("sales", auth={"type": "api_key", "key": "k-rename"}))

    usage = store.connection_usage(WS, "sales")
    assert usage.calls_24h == 2
    assert usage.success_rate == 0.5
    assert [(e.connection, e.status) for e in usage.recent_errors] == [("sales", 500)]
    assert secret(store.get_connection(WS, "sales").auth.key) == "k-rename"
    assert [c.name for c in store.list_connections(WS)] == ["sales"]
    with pytest.raises(NotFoundError):
        store.get_connection(WS, "crm")


def test_renaming_onto_a_taken_name_is_a_conflict(store):
    store.add_connection(WS, connection("crm"))
    store.add_connection(WS, connection("billing"))

    with pytest.raises(ConflictError, match="'billing' already exists"):
        store.update_connection(WS, "crm", connection("billing", base_url="https://x.example.com"))

    assert store.get_connection(WS, "billing").base_url == BASE


def test_updating_into_a_second_preset_is_refused(store):
    store.add_connection(WS, connection("gh", service="github"))
    store.add_connection(WS, connection("crm"))

    with pytest.raises(ConflictError) as caught:
        store.update_connection(WS, "crm", connection("crm", service="github"))

    assert caught.value.message == "Only one github connection allowed per workspace"
    assert store.get_connection(WS, "crm").service == "rest"


def test_remove_connection_removes_its_entities_and_secrets(store, sql):
    store.add_connection(WS, _full())
    store.add_connection(
        WS, connection("other", auth={"type": "bearer", "token": "other-tok"}, entities=[{"name": "x"}])
    )
    (crm_id,) = sql("SELECT id FROM connections WHERE name = 'crm'")[0]
    assert sql("SELECT count(*) FROM entities WHERE connection_id = ?", (crm_id,)) == [(len(ENTITIES),)]
    assert sql("SELECT count(*) FROM secrets WHERE connection_id = ?", (crm_id,))[0][0] >= 4

    store.remove_connection(WS, "crm")

    assert sql("SELECT count(*) FROM entities WHERE connection_id = ?", (crm_id,)) == [(0,)]
    assert sql("SELECT count(*) FROM secrets WHERE connection_id = ?", (crm_id,)) == [(0,)]
    assert [c.name for c in store.list_connections(WS)] == ["other"]
    assert secret(store.get_connection(WS, "other").auth.token) == "other-tok"
    assert [e.name for e in store.get_connection(WS, "other").entities] == ["x"]
    with pytest.raises(NotFoundError):
        store.get_connection(WS, "crm")


def test_a_connection_added_again_after_removal_starts_without_history(store):
    store.add_connection(WS, connection("crm"))
    store.record_api_calls(WS, [ApiCallMade(connection="crm", method="GET", url=BASE, status=500, duration_ms=1)])
    store.remove_connection(WS, "crm")

    store.add_connection(WS, connection("crm"))

    usage = store.connection_usage(WS, "crm")
    assert (usage.calls_24h, usage.last_used, usage.recent_errors) == (0, None, [])
    assert store.list_connections(WS)[0].last_status == "untested"


def test_a_missing_connection_is_not_found_and_the_message_lists_the_others(store):
    with pytest.raises(NotFoundError, match=r"\(connections: none\)"):
        store.get_connection(WS, "crm")
    store.add_connection(WS, connection("billing"))
    store.add_connection(WS, connection("alpha"))

    with pytest.raises(NotFoundError) as caught:
        store.get_connection(WS, "crm")

    assert "'crm'" in caught.value.message
    assert "connections: alpha, billing" in caught.value.message
    for missing in (lambda: store.remove_connection(WS, "crm"), lambda: store.connection_usage(WS, "crm")):
        with pytest.raises(NotFoundError):
            missing()


def test_set_entities_merges_by_name_keeping_order(store):
    store.add_connection(WS, connection("crm", entities=[{"name": "a", "path": "/a"}, {"name": "b", "path": "/b"}]))

    store.set_entities(
        WS,
        "crm",
        [Entity(name="b", path="/b2", data_path="$.items"), Entity(name="c", path="/c")],
        replace=False,
    )

    entities = store.get_connection(WS, "crm").entities
    assert [(e.name, e.path) for e in entities] == [("a", "/a"), ("b", "/b2"), ("c", "/c")]
    assert entities[1].data_path == "$.items"
    assert store.list_connections(WS)[0].entity_count == 3


def test_set_entities_with_replace_drops_the_others(store):
    store.add_connection(WS, connection("crm", entities=[{"name": "a"}, {"name": "b"}]))

    store.set_entities(
        WS, "crm", [Entity.model_validate({"name": "b", "path": "/new", "pagination": "link_header"})], replace=True
    )

    entities = store.get_connection(WS, "crm").entities
    assert [(e.name, e.path, e.pagination.type) for e in entities] == [("b", "/new", "link_header")]


def test_remove_entity(store):
    store.add_connection(WS, connection("crm", entities=[{"name": "a"}, {"name": "b"}, {"name": "c"}]))

    store.remove_entity(WS, "crm", "b")

    assert [e.name for e in store.get_connection(WS, "crm").entities] == ["a", "c"]
    with pytest.raises(NotFoundError, match="no entity 'b'"):
        store.remove_entity(WS, "crm", "b")


def test_entity_names_list_every_connection_and_its_entities_only(store) -> None:
    store.add_connection(WS, connection("crm", entities=[{"name": "customers", "path": "/c"},
                                                         {"name": "orders", "path": "/o"}]))  # fmt: skip
    store.add_connection(WS, connection("bare"))
    store.ensure_workspace("Other")
    store.add_connection("Other", connection("elsewhere", entities=[{"name": "x", "path": "/x"}]))
    call = ApiCallMade(connection="crm", method="GET", url=f"{BASE}/c", status=200, duration_ms=5)
    store.record_api_calls(WS, [call])
    assert store.entity_names(WS) == {"crm": {"customers", "orders"}, "bare": set()}
