"""/openapi.json describes the API so that discovery imports what the demo connection already has."""

from __future__ import annotations

import httpx

from flowdesk.demo import demo_connection_data
from flowdesk.discovery import discover_openapi

ENTITY_NAMES = {
    "list_customers", "list_customers_pages", "list_customers_cursor", "list_customers_linked", "get_customer",
    "create_customer", "update_customer", "customer_changes", "list_orders", "create_order", "list_regions",
    "upload_media", "publish_media", "list_items", "list_items_cursor", "create_item",
}  # fmt: skip


async def _document(server) -> tuple[str, dict]:
    async with httpx.AsyncClient() as client:
        r = await client.get(f"{server.base_url}/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    return r.text, r.json()


async def test_the_document_lists_every_entity_as_an_operation(server):
    _, doc = await _document(server)
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"] == [{"url": f"{server.base_url}/api"}]
    operation_ids = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    assert operation_ids >= ENTITY_NAMES
    assert operation_ids - ENTITY_NAMES == {"health", "delete_customer"}
    assert doc["components"]["securitySchemes"]["apiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    flows = doc["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == f"{server.base_url}/oauth/token"


async def test_every_documented_path_exists_on_the_server(server):
    _, doc = await _document(server)
    async with httpx.AsyncClient(base_url=f"{server.base_url}/api", headers={"X-API-Key": "demo-key"}) as api:
        for path, item in doc["paths"].items():
            for method in item:
                concrete = path.replace("{id}", "1").replace("{mediaId}", "m-1")
                r = await api.request(method.upper(), concrete, json={})
                assert r.status_code not in (404, 405) or "does not exist" in r.text, (method, path, r.text)


async def test_discovery_imports_it_with_the_connections_paging(server):
    text, _ = await _document(server)
    result = discover_openapi(text, source_name="openapi.json")
    assert result.warnings == []
    assert result.base_urls == [f"{server.base_url}/api"]
    assert result.auth_suggestions[0] == {"type": "api_key", "location": "header", "name": "X-API-Key"}
    connection = {e["name"]: e for e in demo_connection_data(server.base_url)["entities"]}
    for entity in result.entities:
        if entity.name not in connection:
            continue
        expected = connection[entity.name]
        assert (entity.method, entity.path) == (expected["method"], expected["path"])
        if "pagination" in expected:
            assert entity.pagination.type == expected["pagination"]["type"], entity.name
        if entity.method == "GET":
            assert entity.data_path == expected["data_path"], entity.name
