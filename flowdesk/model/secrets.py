"""Which fields of a connection are secret, and moving them in and out of the model.

A secret is: every ``SECRET_FIELDS`` entry of the auth, proxy and client-certificate settings, and the
value of any custom header whose name looks like a credential (``Authorization``, ``X-Api-Key``,
``Cookie``, anything with token/secret/password/key in it). Paths are dotted: ``auth.key``,
``proxy.password``, ``headers.Authorization``.
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any

from pydantic import SecretStr

from flowdesk.model.connection import SENSITIVE_NAME as _SENSITIVE_HEADER
from flowdesk.model.connection import Connection
from flowdesk.model.errors import InvalidConfigError

_ENV_REF = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")


def is_sensitive_header(name: str) -> bool:
    """Whether a header's value must be treated as a secret."""
    return bool(_SENSITIVE_HEADER.search(name))


def secret_values(connection: Connection) -> dict[str, str]:
    """Every secret that is set, by dotted path."""
    found: dict[str, str] = {}
    for prefix in ("auth", "proxy", "client_cert"):
        part = getattr(connection, prefix)
        if part is None:
            continue
        for field in type(part).SECRET_FIELDS:
            value = getattr(part, field)
            if isinstance(value, SecretStr) and value.get_secret_value():
                found[f"{prefix}.{field}"] = value.get_secret_value()
    for name, value in connection.headers.items():
        if is_sensitive_header(name) and value:
            found[f"headers.{name}"] = value
    return found


def public_dict(connection: Connection) -> dict[str, Any]:
    """The connection as JSON-ready data with every secret set to ``None``.

    This is what the store keeps in plain columns and what ``connection export`` writes.
    """
    data = connection.model_dump(mode="json", by_alias=True, exclude_none=False)
    for path in secret_values(connection):
        _set_path(data, path, "" if path.startswith("headers.") else None)
    for prefix in ("auth", "proxy", "client_cert"):
        part = data.get(prefix)
        if isinstance(part, dict):
            for field in type(getattr(connection, prefix)).SECRET_FIELDS:
                part[field] = None
    return data


def with_secrets(data: dict[str, Any], secrets: dict[str, str]) -> Connection:
    """Rebuild a connection from :func:`public_dict` output and its secrets (``data`` is not changed)."""
    # secrets live in the connection's own settings, never in its entities, which can be many and large
    # (a discovered API has hundreds, each with schemas): only the settings are copied before filling in
    data = {**_deep_copy({k: v for k, v in data.items() if k != "entities"}), "entities": data.get("entities", [])}
    for path, value in secrets.items():
        _set_path(data, path, value)
    return Connection.model_validate(data)


def resolve_env_refs(data: Any, *, where: str = "") -> Any:
    """Replace every ``"${env:NAME}"`` string in ``data`` with that environment variable's value.

    Raises:
        InvalidConfigError: a referenced variable is not set; the problem names the field.
    """
    missing: list[tuple[str, str]] = []

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, str):
            match = _ENV_REF.match(value.strip())
            if match:
                name = match.group(1)
                if name not in os.environ:
                    missing.append((path, f"environment variable {name} is not set"))
                    return value
                return os.environ[name]
        return value

    resolved = walk(data, "")
    if missing:
        raise InvalidConfigError(where or "the file", missing)
    return resolved


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if head == "headers":
        data.setdefault("headers", {})[rest] = value
        return
    target = data.get(head)
    if not isinstance(target, dict):
        target = {}
        data[head] = target
    target[rest] = value


def _deep_copy(data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(data)
