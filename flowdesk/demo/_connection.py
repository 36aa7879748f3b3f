"""The connection document that points flowdesk at a demo server, in the on-disk connection format."""

from __future__ import annotations

from typing import Any

from flowdesk.demo._catalog import OPERATIONS, Operation, Param
from flowdesk.demo._config import DemoConfig
from flowdesk.demo._data import FieldDoc

CONNECTION_NAME = "demo-crm"
AUTH_CHOICES = ("api_key", "basic", "bearer", "oauth2")

_DEFAULT_QUERY: dict[str, dict[str, Any]] = {
    # the first sync fetches everything; a flow passes the previous answer's `now` instead
    "customer_changes": {"since": "1970-01-01T00:00:00Z"},
    "list_customers_linked": {"per_page": 50},
}


def demo_connection_data(base_url: str, auth: str = "api_key") -> dict[str, Any]:
    """The connection for the demo server at ``base_url`` (``http://127.0.0.1:PORT``), ready to validate.

    ``auth`` picks which of the server's accepted methods the connection uses. Credentials are the default
    :class:`DemoConfig` ones, so they match a server started without custom credentials.

    Raises:
        ValueError: ``auth`` is not one of api_key, basic, bearer, oauth2.
    """
    origin = base_url.rstrip("/")
    return {
        "name": CONNECTION_NAME,
        "service": "rest",
        "base_url": f"{origin}/api",
        "description": "The bundled demo CRM on 127.0.0.1: customers, orders, regions, media and 100,000 items.",
        "auth": _auth(origin, auth),
        "entities": [_entity(op) for op in OPERATIONS if op.in_connection],
    }


def _auth(origin: str, auth: str) -> dict[str, Any]:
    defaults = DemoConfig()
    if auth == "api_key":
        return {"type": "api_key", "location": "header", "name": "X-API-Key", "key": defaults.api_key}
    if auth == "basic":
        return {"type": "basic", "username": defaults.username, "password": defaults.password}
    if auth == "bearer":
        return {"type": "bearer", "token": defaults.bearer_token}
    if auth == "oauth2":
        return {
            "type": "oauth2",
            "grant": "client_credentials",
            "token_url": f"{origin}/oauth/token",
            "client_id": defaults.client_id,
            "client_secret": defaults.client_secret,
            "scope": "crm",
        }
    raise ValueError(f"unknown demo auth {auth!r} (expected one of {', '.join(AUTH_CHOICES)})")


def _entity(operation: Operation) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "name": operation.name,
        "method": operation.method,
        "path": operation.path,
        "description": operation.summary,
        "idempotent": operation.method in ("GET", "PATCH"),
        "tags": [operation.tag],
    }
    if operation.data_path is not None:
        entity["data_path"] = operation.data_path
    if operation.pagination is not None:
        entity["pagination"] = dict(operation.pagination)
    if operation.name in _DEFAULT_QUERY:
        entity["query"] = dict(_DEFAULT_QUERY[operation.name])
    if operation.record is not None:
        entity["schema"] = [_schema_field(field) for field in operation.record]
    if operation.params:
        entity["parameters"] = [_parameter(param) for param in operation.params]
    return entity


def _schema_field(field: FieldDoc) -> dict[str, Any]:
    kind = f"string({field.format})" if field.format in ("date", "date-time") else field.type
    return {"field": field.name, "type": kind, "path": f"$.{field.name}", "description": field.description}


def _parameter(param: Param) -> dict[str, Any]:
    """In the shape discovery gives imported entities, so the window shows both alike."""
    return {
        "name": param.name,
        "in": param.location,
        "required": param.required,
        "type": param.type,
        "default": param.default,
        "enum": list(param.enum) if param.enum else None,
        "description": param.description,
    }
