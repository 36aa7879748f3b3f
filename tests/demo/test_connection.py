"""demo_connection_data validates for every auth variant, and flowdesk's own client pages through it."""

from __future__ import annotations

import pytest

from flowdesk.connections import ConnectionClient
from flowdesk.demo import demo_connection_data
from flowdesk.model import parse_connection

from .test_openapi import ENTITY_NAMES

AUTHS = ["api_key", "basic", "bearer", "oauth2"]


@pytest.mark.parametrize("auth", AUTHS)
def test_the_connection_validates_for_each_auth(auth):
    connection = parse_connection(demo_connection_data("http://127.0.0.1:54321", auth=auth))
    assert connection.name == "demo-crm"
    assert connection.service == "rest"
    assert connection.base_url == "http://127.0.0.1:54321/api"
    assert connection.auth.type == auth
    assert {e.name for e in connection.entities} == ENTITY_NAMES


def test_the_auth_documents_carry_the_demo_credentials():
    base = "http://127.0.0.1:1"
    auth = {name: demo_connection_data(base, auth=name)["auth"] for name in AUTHS}
    assert auth["api_key"] == {"type": "api_key", "location": "header", "name": "X-API-Key", "key": "demo-key"}
    assert auth["basic"] == {"type": "basic", "username": "demo", "password": "demo-pass"}
    assert auth["bearer"] == {"type": "bearer", "token": "demo-token"}
    assert auth["oauth2"] == {
        "type": "oauth2", "grant": "client_credentials", "token_url": f"{base}/oauth/token",
        "client_id": "demo-client", "client_secret": "demo-secret", "scope": "crm",
    }  # fmt: skip


def test_an_unknown_auth_is_refused():
    with pytest.raises(ValueError, match="digest"):
        demo_connection_data("http://127.0.0.1:1", auth="digest")


def test_the_entities_page_the_way_the_server_does():
    connection = parse_connection(demo_connection_data("http://127.0.0.1:1/"))
    assert connection.base_url == "http://127.0.0.1:1/api"
    entity = connection.entity
    customers = entity("list_customers")
    assert customers.path == "/customers" and customers.data_path == "$.data"
    assert customers.pagination.model_dump() == {
        "type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 50, "start": 0,
        "total_path": "$.total",
    }  # fmt: skip
    assert entity("list_customers_pages").pagination.type == "page"
    assert entity("list_customers_cursor").pagination.next_cursor_path == "$.next_cursor"
    assert entity("list_customers_linked").pagination.type == "link_header"
    assert entity("get_customer").path == "/customers/{id}" and entity("get_customer").data_path == "$"
    assert entity("update_customer").method == "PATCH"
    assert entity("customer_changes").query == {"since": "1970-01-01T00:00:00Z"}
    assert entity("list_items").pagination.limit == 100
    assert entity("list_regions").pagination.type == "none"
    assert entity("publish_media").path == "/media/{mediaId}/publish"
    assert [f.field for f in entity("list_regions").schema_] == ["code", "name"]
    assert all(e.description for e in connection.entities)


@pytest.mark.parametrize("auth", AUTHS)
async def test_flowdesks_client_reads_every_list_with_each_auth(server, auth):
    connection = parse_connection(demo_connection_data(server.base_url, auth=auth))
    async with ConnectionClient(connection) as client:
        assert (await client.test()).ok
        for name in ("list_customers", "list_customers_pages", "list_customers_cursor", "list_customers_linked"):
            ids = [record["id"] async for record in client.records(connection.entity(name))]
            assert ids == list(range(1, 251)), name
        regions = [r["code"] async for r in client.records(connection.entity("list_regions"))]
        assert regions == ["EU", "US", "APAC", "LATAM"]
    assert server.stats.token_requests == (1 if auth == "oauth2" else 0)
