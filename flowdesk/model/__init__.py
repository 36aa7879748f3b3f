"""Plain data: connection, entity, flow and run types, validation, file formats. Imports nothing of Qt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowdesk._lazy import export, names

if TYPE_CHECKING:
    from flowdesk.model.connection import (
        GENERIC_SERVICES,
        ApiKeyAuth,
        BasicAuth,
        BearerAuth,
        ClientCert,
        Connection,
        CursorPagination,
        DigestAuth,
        Entity,
        EntityOrigin,
        LinkHeaderPagination,
        NoAuth,
        NoPagination,
        OAuth2Auth,
        OffsetPagination,
        PagePagination,
        Proxy,
        RateLimit,
        RetryPolicy,
        SchemaField,
    )
    from flowdesk.model.events import (
        ApiCallMade,
        ContractWarning,
        ItemsEmitted,
        NodeFailed,
        NodeFinished,
        NodeStarted,
        RunEvent,
        RunFinished,
        RunStarted,
    )
    from flowdesk.model.files import load_connection, parse_connection, parse_text, read_document, validate
    from flowdesk.model.flow import Edge, Flow, FlowEditError, FlowNode, Position, validate_flow
    from flowdesk.model.nodes import NODE_SPECS, NodeSpec, PortSpec, node_spec
    from flowdesk.model.secrets import public_dict, secret_values, with_secrets

_EXPORTS: dict[str, str] = {
    "GENERIC_SERVICES": "flowdesk.model.connection",
    "ApiKeyAuth": "flowdesk.model.connection",
    "BasicAuth": "flowdesk.model.connection",
    "BearerAuth": "flowdesk.model.connection",
    "ClientCert": "flowdesk.model.connection",
    "Connection": "flowdesk.model.connection",
    "CursorPagination": "flowdesk.model.connection",
    "DigestAuth": "flowdesk.model.connection",
    "Entity": "flowdesk.model.connection",
    "EntityOrigin": "flowdesk.model.connection",
    "LinkHeaderPagination": "flowdesk.model.connection",
    "NoAuth": "flowdesk.model.connection",
    "NoPagination": "flowdesk.model.connection",
    "OAuth2Auth": "flowdesk.model.connection",
    "OffsetPagination": "flowdesk.model.connection",
    "PagePagination": "flowdesk.model.connection",
    "Proxy": "flowdesk.model.connection",
    "RateLimit": "flowdesk.model.connection",
    "RetryPolicy": "flowdesk.model.connection",
    "SchemaField": "flowdesk.model.connection",
    "ApiCallMade": "flowdesk.model.events",
    "ContractWarning": "flowdesk.model.events",
    "ItemsEmitted": "flowdesk.model.events",
    "NodeFailed": "flowdesk.model.events",
    "NodeFinished": "flowdesk.model.events",
    "NodeStarted": "flowdesk.model.events",
    "RunEvent": "flowdesk.model.events",
    "RunFinished": "flowdesk.model.events",
    "RunStarted": "flowdesk.model.events",
    "load_connection": "flowdesk.model.files",
    "parse_connection": "flowdesk.model.files",
    "parse_text": "flowdesk.model.files",
    "read_document": "flowdesk.model.files",
    "validate": "flowdesk.model.files",
    "Edge": "flowdesk.model.flow",
    "Flow": "flowdesk.model.flow",
    "FlowEditError": "flowdesk.model.flow",
    "FlowNode": "flowdesk.model.flow",
    "Position": "flowdesk.model.flow",
    "validate_flow": "flowdesk.model.flow",
    "NODE_SPECS": "flowdesk.model.nodes",
    "NodeSpec": "flowdesk.model.nodes",
    "PortSpec": "flowdesk.model.nodes",
    "node_spec": "flowdesk.model.nodes",
    "public_dict": "flowdesk.model.secrets",
    "secret_values": "flowdesk.model.secrets",
    "with_secrets": "flowdesk.model.secrets",
}
"""Public name → the module defining it, imported on first access (see :func:`__getattr__`)."""

__all__ = [
    "GENERIC_SERVICES",
    "NODE_SPECS",
    "ApiCallMade",
    "ApiKeyAuth",
    "BasicAuth",
    "BearerAuth",
    "ClientCert",
    "Connection",
    "ContractWarning",
    "CursorPagination",
    "DigestAuth",
    "Edge",
    "Entity",
    "EntityOrigin",
    "Flow",
    "FlowEditError",
    "FlowNode",
    "ItemsEmitted",
    "LinkHeaderPagination",
    "NoAuth",
    "NoPagination",
    "NodeFailed",
    "NodeFinished",
    "NodeSpec",
    "NodeStarted",
    "OAuth2Auth",
    "OffsetPagination",
    "PagePagination",
    "PortSpec",
    "Position",
    "Proxy",
    "RateLimit",
    "RetryPolicy",
    "RunEvent",
    "RunFinished",
    "RunStarted",
    "SchemaField",
    "load_connection",
    "node_spec",
    "parse_connection",
    "parse_text",
    "public_dict",
    "read_document",
    "secret_values",
    "validate",
    "validate_flow",
    "with_secrets",
]


def __getattr__(name: str) -> Any:
    return export(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return names(__name__, __all__)
