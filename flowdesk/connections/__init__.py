"""Talking HTTP to APIs: auth, retries, rate limits, pagination, data paths, redacted call events.

Use one :class:`ConnectionClient` per connection (it pools connections) and close it when done. Errors
are flowdesk's own (:mod:`flowdesk.model.errors`): ``HttpStatusError`` subclasses for non-2xx answers,
``TransportError`` subclasses when no answer came, ``ReauthorizationNeededError`` for OAuth, each with a
``hint`` saying what to check. :func:`authorize_code` runs the OAuth 2 browser consent (PKCE, loopback
redirect) and raises the ``Authorization*Error`` family; :func:`revoke_tokens` revokes tokens (RFC 7009).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowdesk._lazy import export, names

if TYPE_CHECKING:
    from flowdesk.connections._authorize import (
        BrowserOpener,
        IssuedTokens,
        RevocationOutcome,
        authorization_settings,
        authorize_code,
        revoke_tokens,
    )
    from flowdesk.connections._client import ConnectionClient
    from flowdesk.connections._pagination import Page
    from flowdesk.connections._ratelimit import RateLimiter
    from flowdesk.connections._redact import redact_url
    from flowdesk.connections._request import UNSET
    from flowdesk.connections._response import ApiResponse, TestResult

_EXPORTS: dict[str, str] = {
    "BrowserOpener": "flowdesk.connections._authorize",
    "IssuedTokens": "flowdesk.connections._authorize",
    "RevocationOutcome": "flowdesk.connections._authorize",
    "authorization_settings": "flowdesk.connections._authorize",
    "authorize_code": "flowdesk.connections._authorize",
    "revoke_tokens": "flowdesk.connections._authorize",
    "ConnectionClient": "flowdesk.connections._client",
    "Page": "flowdesk.connections._pagination",
    "RateLimiter": "flowdesk.connections._ratelimit",
    "redact_url": "flowdesk.connections._redact",
    "UNSET": "flowdesk.connections._request",
    "ApiResponse": "flowdesk.connections._response",
    "TestResult": "flowdesk.connections._response",
}
"""Public name → the module defining it, imported on first access (see :func:`__getattr__`)."""

__all__ = [
    "UNSET",
    "ApiResponse",
    "BrowserOpener",
    "ConnectionClient",
    "IssuedTokens",
    "Page",
    "RateLimiter",
    "RevocationOutcome",
    "TestResult",
    "authorization_settings",
    "authorize_code",
    "redact_url",
    "revoke_tokens",
]


def __getattr__(name: str) -> Any:
    return export(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return names(__name__, __all__)
