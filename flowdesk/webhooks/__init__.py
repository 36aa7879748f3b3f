"""Inbound and outbound webhooks: signatures in the senders' styles, and the receiver server.

:func:`sign` / :func:`verify` implement the styles pinned in ARCHITECTURE.md (``generic`` is flowdesk's own
``X-Flowdesk-Signature``; ``github``, ``stripe`` and ``shopify`` are those services'). :class:`WebhookReceiver`
serves ``POST /hooks/<name>`` on aiohttp and hands each verified delivery to a callback; it imports nothing
of the workspace, which supplies the hooks and starts the flows. Errors: :class:`SignatureError` (a
:class:`~flowdesk.model.errors.UserError`) for a refused signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowdesk._lazy import export, names

if TYPE_CHECKING:
    from flowdesk.webhooks._defaults import DEFAULT_HOST, DEFAULT_PORT
    from flowdesk.webhooks._receiver import (
        Delivery,
        HookSpec,
        PayloadError,
        WebhookReceiver,
        parse_payload,
        serve_until_cancelled,
    )
    from flowdesk.webhooks._signatures import (
        SIGNATURE_HEADERS,
        STYLES,
        TOLERANCE_S,
        SignatureError,
        Style,
        check_style,
        sign,
        verify,
    )

_EXPORTS: dict[str, str] = {
    "DEFAULT_HOST": "flowdesk.webhooks._defaults",
    "DEFAULT_PORT": "flowdesk.webhooks._defaults",
    "Delivery": "flowdesk.webhooks._receiver",
    "HookSpec": "flowdesk.webhooks._receiver",
    "PayloadError": "flowdesk.webhooks._receiver",
    "WebhookReceiver": "flowdesk.webhooks._receiver",
    "parse_payload": "flowdesk.webhooks._receiver",
    "serve_until_cancelled": "flowdesk.webhooks._receiver",
    "SIGNATURE_HEADERS": "flowdesk.webhooks._signatures",
    "STYLES": "flowdesk.webhooks._signatures",
    "TOLERANCE_S": "flowdesk.webhooks._signatures",
    "SignatureError": "flowdesk.webhooks._signatures",
    "Style": "flowdesk.webhooks._signatures",
    "check_style": "flowdesk.webhooks._signatures",
    "sign": "flowdesk.webhooks._signatures",
    "verify": "flowdesk.webhooks._signatures",
}
"""Public name → the module defining it, imported on first access (see :func:`__getattr__`)."""

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "SIGNATURE_HEADERS",
    "STYLES",
    "TOLERANCE_S",
    "Delivery",
    "HookSpec",
    "PayloadError",
    "SignatureError",
    "Style",
    "WebhookReceiver",
    "check_style",
    "parse_payload",
    "serve_until_cancelled",
    "sign",
    "verify",
]


def __getattr__(name: str) -> Any:
    return export(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return names(__name__, __all__)
