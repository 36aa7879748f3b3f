"""Talking HTTP to APIs: auth, retries, rate limits, pagination, data paths, redacted call events.

Use one :class:`ConnectionClient` per connection (it pools connections) and close it when done. Errors
are flowdesk's own (:mod:`flowdesk.model.errors`): ``HttpStatusError`` subclasses for non-2xx answers,
``TransportError`` subclasses when no answer came, ``ReauthorizationNeededError`` for OAuth, each with a
``hint`` saying what to check. :func:`authorize_code` runs the OAuth 2 browser consent (PKCE, loopback
redirect) and raises the ``Authorization*Error`` family; :func:`revoke_tokens` revokes tokens (RFC 7009).
"""

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
