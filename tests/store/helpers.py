"""Connections for the store's tests, built the way a connection file is read."""

from __future__ import annotations

from typing import Any

from flowdesk.model import Connection, parse_connection

BASE = "https://api.example.com/v1"


def connection(name: str = "crm", **fields: Any) -> Connection:
    """A connection from file-format data (``parse_connection``), with defaults for what is not given."""
    data: dict[str, Any] = {"name": name, "base_url": BASE}
    data.update(fields)
    return parse_connection(data)


def secret(value: Any) -> str | None:
    """The plain value of a ``SecretStr`` field (``None`` stays ``None``)."""
    return None if value is None else value.get_secret_value()
