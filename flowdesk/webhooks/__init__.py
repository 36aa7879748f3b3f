"""Inbound and outbound webhooks: signatures in the senders' styles, and the receiver server.

:func:`sign` / :func:`verify` implement the styles pinned in ARCHITECTURE.md (``generic`` is flowdesk's own
``X-Flowdesk-Signature``; ``github``, ``stripe`` and ``shopify`` are those services'). :class:`WebhookReceiver`
serves ``POST /hooks/<name>`` on aiohttp and hands each verified delivery to a callback; it imports nothing
of the workspace, which supplies the hooks and starts the flows. Errors: :class:`SignatureError` (a
:class:`~flowdesk.model.errors.UserError`) for a refused signature.
"""

from flowdesk.webhooks._receiver import (
    DEFAULT_HOST,
    DEFAULT_PORT,
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
