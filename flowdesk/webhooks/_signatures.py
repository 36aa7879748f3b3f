"""Signing and verifying webhook deliveries, in the styles senders use.

* ``generic`` (flowdesk's own, also what ``webhook_out`` sends): ``X-Flowdesk-Signature: t=<unix time>,
  v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``.
* ``stripe``: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`` (several
  ``v1`` are allowed while a secret is being rolled).
* ``github``: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>``.
* ``shopify``: ``X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(secret, raw body)>``.

Timestamped styles are refused when the time is more than :data:`TOLERANCE_S` (5 minutes) away from now,
so a captured delivery cannot be replayed later; GitHub and Shopify sign no timestamp, so only the body is
checked for them. Digests are compared with :func:`hmac.compare_digest` (constant time).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Literal

from flowdesk.model.errors import UserError

Style = Literal["generic", "github", "stripe", "shopify"]
STYLES: tuple[Style, ...] = ("generic", "github", "stripe", "shopify")

TOLERANCE_S = 300
"""How far a signed timestamp may be from the receiver's clock (either way), in seconds."""

SIGNATURE_HEADERS: dict[Style, str] = {
    "generic": "X-Flowdesk-Signature",
    "github": "X-Hub-Signature-256",
    "stripe": "Stripe-Signature",
    "shopify": "X-Shopify-Hmac-Sha256",
}


class SignatureError(UserError):
    """A delivery whose signature is missing, malformed, stale or wrong. The message says which (never the
    expected digest)."""


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def _hmac(secret: str | bytes, data: bytes) -> bytes:
    return hmac.new(_key(secret), data, hashlib.sha256).digest()


def check_style(style: str) -> Style:
    """``style`` as a :data:`Style`. Raises: UserError naming the styles there are."""
    for known in STYLES:
        if style == known:
            return known
    raise UserError(f"webhook style {style!r} is unknown (styles: {', '.join(STYLES)})")


def sign(style: str, secret: str | bytes, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The header(s) a sender of ``style`` adds to a POST of ``body``; ``timestamp`` defaults to now."""
    kind = check_style(style)
    header = SIGNATURE_HEADERS[kind]
    if kind in ("generic", "stripe"):
        stamp = int(time.time()) if timestamp is None else timestamp
        digest = _hmac(secret, f"{stamp}.".encode() + body).hex()
        return {header: f"t={stamp},v1={digest}"}
    if kind == "github":
        return {header: "sha256=" + _hmac(secret, body).hex()}
    return {header: base64.b64encode(_hmac(secret, body)).decode("ascii")}


def verify(
    style: str,
    secret: str | bytes,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
    tolerance_s: float = TOLERANCE_S,
) -> None:
    """Check that ``body`` was signed with ``secret`` in ``style``.

    ``headers`` may be any mapping; names are matched without regard to case.

    Raises:
        SignatureError: the signature header is missing or malformed, the timestamp is stale, or no
            signature matches.
    """
    kind = check_style(style)
    name = SIGNATURE_HEADERS[kind]
    value = _header(headers, name)
    if value is None:
        raise SignatureError(f"the {name} header is missing")
    if kind in ("generic", "stripe"):
        _verify_timestamped(name, secret, body, value, time.time() if now is None else now, tolerance_s)
    elif kind == "github":
        prefix, _, given = value.strip().partition("=")
        if prefix != "sha256" or not given:
            raise SignatureError(f"the {name} header is not of the form sha256=<hex digest>")
        if not hmac.compare_digest(given.lower().encode("ascii", "replace"), _hmac(secret, body).hex().encode()):
            raise SignatureError(f"the {name} signature does not match the body")
    else:
        try:
            given_bytes = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError(f"the {name} header is not base64") from None
        if not hmac.compare_digest(given_bytes, _hmac(secret, body)):
            raise SignatureError(f"the {name} signature does not match the body")


def signed_timestamp(style: str, headers: Mapping[str, str]) -> int | None:
    """The ``t=`` of a timestamped style's (already verified) header, else ``None``."""
    kind = check_style(style)
    if kind not in ("generic", "stripe"):
        return None
    value = _header(headers, SIGNATURE_HEADERS[kind])
    if value is None:
        return None
    stamps = _parts(value).get("t", [])
    try:
        return int(stamps[0]) if stamps else None
    except ValueError:
        return None


def _verify_timestamped(
    name: str, secret: str | bytes, body: bytes, value: str, now: float, tolerance_s: float
) -> None:
    parts = _parts(value)
    stamps, signatures = parts.get("t", []), parts.get("v1", [])
    if len(stamps) != 1 or not signatures:
        raise SignatureError(f"the {name} header is not of the form t=<unix time>,v1=<hex digest>")
    try:
        stamp = int(stamps[0])
    except ValueError:
        raise SignatureError(f"the {name} timestamp {stamps[0][:20]!r} is not a unix time") from None
    if abs(now - stamp) > tolerance_s:
        age = int(now - stamp)
        when = f"{age} s old" if age > 0 else f"{-age} s in the future"
        raise SignatureError(
            f"the {name} timestamp is {when}; at most {int(tolerance_s)} s is accepted (a replay, or a clock that "
            "is off)"
        )
    expected = _hmac(secret, f"{stamps[0]}.".encode() + body).hex().encode()
    # every v1 is compared (no early exit), so the time taken does not tell which one was close
    matched = False
    for given in signatures:
        matched |= hmac.compare_digest(given.strip().lower().encode("ascii", "replace"), expected)
    if not matched:
        raise SignatureError(f"the {name} signature does not match the body")


def _parts(value: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for part in value.split(","):
        key, sep, item = part.strip().partition("=")
        if sep:
            found.setdefault(key.strip(), []).append(item.strip())
    return found


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, item in headers.items():
        if key.lower() == wanted:
            return item
    return None
