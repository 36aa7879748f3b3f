"""Service presets: data files (``resources/services/<service>.json``) describing a known API.

A preset gives a new connection its base URL, auth type (with OAuth URLs and least-privilege scopes), test
request, rate limit, headers and common endpoints. Presets are data, not code: adding a service is adding a
file. A preset service may be connected once per workspace (use another workspace for a second account).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flowdesk.model.connection import Connection, Entity, RateLimit
from flowdesk.model.errors import NotFoundError


class ServicePreset(BaseModel):
    """One known service."""

    model_config = ConfigDict(extra="forbid")

    service: str
    title: str
    category: str = "Other"
    base_url: str
    auth: dict[str, Any]
    alternative_auth: list[dict[str, Any]] = Field(default_factory=list)
    headers: dict[str, str] = Field(default_factory=dict)
    rate_limit: RateLimit | None = None
    test_entity: str | None = None
    """The "who am I" request run by ``connection test`` and after ``connection authorize``."""
    account_path: str | None = None
    """JSONPath in the test request's answer naming the connected account (``$.login``, ``$.email`` …)."""
    docs_url: str | None = None
    notes: str | None = None
    entities: list[Entity] = Field(default_factory=list)

    def new_connection(self, name: str | None = None, **overrides: Any) -> Connection:
        """A connection to this service with the preset's settings (secrets still to be entered)."""
        data: dict[str, Any] = {
            "name": name or self.service,
            "service": self.service,
            "base_url": self.base_url,
            "auth": dict(self.auth),
            "headers": dict(self.headers),
            "rate_limit": self.rate_limit.model_dump() if self.rate_limit else None,
            "test_entity": self.test_entity,
            "entities": [e.model_dump(by_alias=True) for e in self.entities],
        }
        data.update(overrides)
        return Connection.model_validate(data)


def resources_dir() -> Path:
    """The bundled resources: inside the package when installed or frozen, else the repository's."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_resources", package.parent / "resources"):
        if candidate.is_dir():
            return candidate
    return package.parent / "resources"


@lru_cache(maxsize=1)
def service_presets() -> dict[str, ServicePreset]:
    """Every bundled preset by service name (read once)."""
    folder = resources_dir() / "services"
    presets: dict[str, ServicePreset] = {}
    for file in sorted(folder.glob("*.json")):
        preset = ServicePreset.model_validate(json.loads(file.read_text(encoding="utf-8")))
        presets[preset.service] = preset
    return presets


def account_label(body: Any, account_path: str | None = None) -> str | None:
    """The account a "who am I" answer names: at ``account_path``, else the first of the usual fields
    (``login``, ``username``, ``email``, ``name``, ``id`` …, also under ``data``/``user``/``profile``)."""
    from flowdesk.model.jsonpath import find_first

    if account_path:
        found = find_first(account_path, body)
        if isinstance(found, str | int) and not isinstance(found, bool) and str(found):
            return str(found)
    candidates = [body]
    if isinstance(body, dict):
        candidates += [body[k] for k in ("data", "user", "profile", "account", "me") if isinstance(body.get(k), dict)]
    for candidate in candidates:
        if not isinstance(candidate, dict):
            continue
        for key in _ACCOUNT_KEYS:
            value = candidate.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                return str(value)
    return None


_ACCOUNT_KEYS = (
    "login", "username", "email", "emailAddress", "userPrincipalName", "mail", "screen_name", "display_name",
    "displayName", "name", "real_name", "user_id", "account_id", "id",
)  # fmt: skip


def service_preset(service: str) -> ServicePreset:
    """The preset for ``service``.

    Raises:
        NotFoundError: no such preset, listing the known ones.
    """
    presets = service_presets()
    try:
        return presets[service]
    except KeyError:
        raise NotFoundError(f"no service preset {service!r} (known: {', '.join(sorted(presets))})") from None
