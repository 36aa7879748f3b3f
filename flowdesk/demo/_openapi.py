"""``GET /openapi.json``: the demo API as an OpenAPI 3.0 document, so discovery can be tried on it.

Built from :data:`._catalog.OPERATIONS`, so every operationId is the name of the matching entity of the
demo connection, and the pagination discovery guesses from the parameters is the one the server uses.
"""

from __future__ import annotations

from typing import Any

from flowdesk.demo._catalog import MEDIA_FIELDS, OPERATIONS, Operation, Param
from flowdesk.demo._data import (
    CUSTOMER_FIELDS,
    CUSTOMER_STATUSES,
    ITEM_FIELDS,
    ORDER_FIELDS,
    REGION_FIELDS,
    REGIONS,
    FieldDoc,
)

_RECORD_NAMES = {
    CUSTOMER_FIELDS: "Customer",
    ORDER_FIELDS: "Order",
    REGION_FIELDS: "Region",
    ITEM_FIELDS: "Item",
    MEDIA_FIELDS: "Media",
}
_ERRORS = {
    "400": "A parameter or the body is malformed (the answer names it)",
    "401": "Missing, wrong or expired credentials",
    "404": "No such record",
    "422": "The body is well-formed but invalid (the answer names the fields)",
    "429": "Too many requests; wait Retry-After seconds",
}


def build_openapi(origin: str) -> dict[str, Any]:
    """The whole document for a server reachable at ``origin`` (``http://127.0.0.1:PORT``)."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "flowdesk demo CRM",
            "version": "1.0.0",
            "description": "A small fake CRM that runs on 127.0.0.1, bundled with flowdesk for offline trials.",
        },
        "servers": [{"url": f"{origin}/api"}],
        "tags": [{"name": name} for name in dict.fromkeys(op.tag for op in OPERATIONS)],
        "security": [{"apiKey": []}, {"apiKeyQuery": []}, {"basic": []}, {"bearer": []}, {"oauth2": ["crm"]}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "responses": {
                f"E{code}": {"description": text, "content": _json({"$ref": "#/components/schemas/Error"})}
                for code, text in _ERRORS.items()
            },
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key"},
                "basic": {"type": "http", "scheme": "basic"},
                "bearer": {"type": "http", "scheme": "bearer"},
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": f"{origin}/oauth/token",
                            "refreshUrl": f"{origin}/oauth/token",
                            "scopes": {"crm": "read and change the CRM"},
                        }
                    },
                },
            },
        },
    }


def _operation(operation: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": operation.name,
        "summary": operation.summary,
        "tags": [operation.tag],
    }
    if operation.params:
        out["parameters"] = [_parameter(param) for param in operation.params]
    if operation.body is not None:
        out["requestBody"] = {"required": True, "content": _json({"$ref": f"#/components/schemas/{operation.body}"})}
    success: dict[str, Any] = {"description": operation.summary}
    if operation.envelope != "empty":
        success["content"] = _json(_envelope(operation))
    if operation.envelope == "linked":
        link = {"description": 'the next page as <url>; rel="next" (none on the last)', "schema": {"type": "string"}}
        success["headers"] = {"Link": link}
    responses: dict[str, Any] = {str(operation.status): success}
    for code in _ERRORS:
        if code != "401" and not _may_answer(operation, code):
            continue
        responses[code] = {"$ref": f"#/components/responses/E{code}"}
    out["responses"] = responses
    return out


def _may_answer(operation: Operation, code: str) -> bool:
    if code == "400":
        return bool(operation.params) or operation.body is not None
    if code == "404":
        return any(param.location == "path" for param in operation.params)
    if code == "422":
        return operation.body is not None
    return code == "429"


def _parameter(param: Param) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": param.type}
    for key, value in (
        ("default", param.default),
        ("enum", list(param.enum) if param.enum else None),
        ("minimum", param.minimum),
        ("maximum", param.maximum),
        ("format", param.format),
    ):
        if value is not None:
            schema[key] = value
    return {
        "name": param.name,
        "in": param.location,
        "required": param.required,
        "description": param.description,
        "schema": schema,
    }


def _envelope(operation: Operation) -> dict[str, Any]:
    """The answer's schema: the record, or the list wrapper its pagination style uses."""
    record = _ref(operation.record) if operation.record else {"type": "object"}
    data = {"type": "array", "items": record}
    integer = {"type": "integer"}
    shapes: dict[str, dict[str, Any]] = {
        "offset": {"data": data, "total": integer, "offset": integer, "limit": integer},
        "pages": {"data": data, "page": integer, "per_page": integer, "total_pages": integer, "total": integer},
        "cursor": {
            "data": data,
            "next_cursor": {"type": "string", "nullable": True, "description": "null on the last page"},
            "has_more": {"type": "boolean"},
        },
        "linked": {"data": data},
        "list": {"data": data},
        "changes": {"data": data, "now": {"type": "string", "format": "date-time", "description": "next since"}},
        "media": {"media": record},
        "health": {"status": {"type": "string"}, "service": {"type": "string"}},
    }
    if operation.envelope == "record":
        return record
    properties = shapes[operation.envelope]
    return {"type": "object", "properties": properties, "required": list(properties)}


def _schemas() -> dict[str, Any]:
    region_codes = [code for code, _ in REGIONS]
    schemas: dict[str, Any] = {name: _object(fields) for fields, name in _RECORD_NAMES.items()}
    schemas["NewCustomer"] = {
        "type": "object",
        "required": ["name", "email"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "email": {"type": "string", "format": "email"},
            "region": {"type": "string", "enum": region_codes, "default": "EU"},
            "status": {"type": "string", "enum": list(CUSTOMER_STATUSES), "default": "active"},
        },
    }
    schemas["CustomerUpdate"] = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "email": {"type": "string", "format": "email"},
            "region": {"type": "string", "enum": region_codes},
            "status": {"type": "string", "enum": list(CUSTOMER_STATUSES)},
        },
    }
    schemas["NewOrder"] = {
        "type": "object",
        "required": ["customer_id", "amount"],
        "properties": {
            "customer_id": {"type": "integer"},
            "amount": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
            "currency": {"type": "string", "default": "EUR"},
        },
    }
    schemas["NewItem"] = {"type": "object", "additionalProperties": True, "example": {"sku": "SKU-X", "qty": 1}}
    schemas["MediaUpload"] = {"type": "object", "additionalProperties": True, "example": {"url": "https://…"}}
    schemas["Error"] = {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    }
    return schemas


def _object(fields: tuple[FieldDoc, ...]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in fields:
        prop: dict[str, Any] = {"type": field.type, "description": field.description}
        if field.format:
            prop["format"] = field.format
        properties[field.name] = prop
    return {"type": "object", "required": [field.name for field in fields], "properties": properties}


def _ref(fields: tuple[FieldDoc, ...]) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{_RECORD_NAMES[fields]}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}
