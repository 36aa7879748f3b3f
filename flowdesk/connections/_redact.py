"""Keeping secrets out of URLs, events and error messages.

Everything the runtime reports (events, errors, test results) passes through here first: run logs and the
store's call history are readable by every member of a workspace, credentials are not.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from flowdesk.model.connection import ApiKeyAuth, BasicAuth, Connection, DigestAuth
from flowdesk.model.secrets import secret_values

MASK = "***"

SECRET_QUERY_NAMES = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "key",
        "api_key",
        "apikey",
        "api-key",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "signature",
        "sig",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
    }
)
"""Query parameters whose values are always masked, compared case-insensitively."""


def redact_url(url: str, extra_names: Iterable[str] = ()) -> str:
    """``url`` with secret query values replaced by ``***`` and any ``user:password@`` removed.

    ``extra_names`` adds parameter names to mask (a connection's api-key parameter). The rest of the URL is
    kept byte for byte, so a redacted URL still shows what was called.
    """
    if "?" not in url and "@" not in url:
        return url  # the common case costs one scan
    names = _names(frozenset(n.lower() for n in extra_names)) if extra_names else SECRET_QUERY_NAMES
    if "@" not in url and "#" not in url:  # only the query can hold a secret: leave the rest untouched
        base, _, query = url.partition("?")
        masked = _mask_query(query, names)
        return url if masked is query else f"{base}?{masked}"
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0] + ("?" + MASK if "?" in url else "")
    netloc = parts.netloc.rpartition("@")[2] if "@" in parts.netloc else parts.netloc
    return urlunsplit((parts.scheme, netloc, parts.path, _mask_query(parts.query, names), parts.fragment))


def _mask_query(query: str, names: frozenset[str]) -> str:
    """``query`` with the values of ``names`` masked; the very same string when nothing is masked."""
    pieces = query.split("&")
    changed = False
    for index, piece in enumerate(pieces):
        name, sep, _value = piece.partition("=")
        if sep and unquote_plus(name).lower() in names:
            pieces[index] = f"{name}={MASK}"
            changed = True
    return "&".join(pieces) if changed else query


@lru_cache(maxsize=64)
def _names(extra: frozenset[str]) -> frozenset[str]:
    return SECRET_QUERY_NAMES | extra


def connection_secret_texts(connection: Connection) -> list[str]:
    """Every secret string of a connection as it could appear in a response or an error text.

    Besides the raw values this includes the base64 ``user:password`` of basic auth, which echo servers and
    gateways like to reflect. Longest first, so a secret containing another is masked whole.
    """
    values = set(secret_values(connection).values())
    auth = connection.auth
    if isinstance(auth, BasicAuth | DigestAuth) and auth.password is not None:
        pair = f"{auth.username}:{auth.password.get_secret_value()}".encode()
        values.add(base64.b64encode(pair).decode("ascii"))
    return sorted((v for v in values if len(v) >= 4), key=len, reverse=True)


def api_key_query_names(connection: Connection) -> tuple[str, ...]:
    """The query parameter carrying the connection's api key, if the key goes in the query."""
    auth = connection.auth
    if isinstance(auth, ApiKeyAuth) and auth.location == "query":
        return (auth.name,)
    return ()


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***``."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return text
