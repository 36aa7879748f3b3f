"""The inbound webhook server: ``POST /hooks/<name>`` on aiohttp, on the caller's event loop.

For every delivery, in this order:

1. an unknown ``name`` → 404;
2. a missing, malformed, stale or wrong signature → 401, and nothing is triggered;
3. a body that is not JSON (or a form) → 400;
4. a timestamped delivery already accepted within the tolerance window (a replay, or a sender retrying
   after a lost answer) → 200 ``{"duplicate": true}``, and nothing is triggered again;
5. otherwise → 202 with the flows that were started, which run on after the answer is sent.

The receiver knows nothing of flows or the store: it is handed ``find_hook`` (name → :class:`HookSpec`)
and ``deliver`` (starts what listens and returns the names of the flows started). Credentials a sender
put in ``Authorization`` or ``Cookie`` are not passed on with the headers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flowdesk.model.errors import FlowdeskError
from flowdesk.webhooks._defaults import DEFAULT_HOST, DEFAULT_PORT
from flowdesk.webhooks._signatures import (
    SIGNATURE_HEADERS,
    TOLERANCE_S,
    SignatureError,
    check_style,
    signed_timestamp,
    verify,
)

if TYPE_CHECKING:  # aiohttp.web loads when a receiver starts: registering or listing webhooks never serves
    from aiohttp import web

MAX_BODY_BYTES = 5 * 1024 * 1024
SHUTDOWN_TIMEOUT_S = 1.0
HIDDEN_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
"""Request headers never handed to a flow (they may carry the sender's credentials)."""


@dataclass(frozen=True)
class HookSpec:
    """What the receiver needs to know about one registered webhook."""

    name: str
    style: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Delivery:
    """One verified, parsed delivery."""

    hook: str
    payload: Any
    headers: dict[str, str]
    received_at: float

    @property
    def item(self) -> dict[str, Any]:
        """The item a ``webhook`` trigger emits: the payload's fields (or ``payload`` when it is not an
        object) plus ``headers``."""
        base = dict(self.payload) if isinstance(self.payload, dict) else {"payload": self.payload}
        base["headers"] = dict(self.headers)
        return base


FindHook = Callable[[str], HookSpec | None]
Deliver = Callable[[Delivery], Awaitable[list[str]]]


class PayloadError(ValueError):
    """The body cannot be read as a payload."""


def parse_payload(body: bytes, content_type: str) -> Any:
    """JSON (any value; an empty body is ``{}``), or a URL-encoded form (a lone ``payload`` field holding JSON,
    as GitHub sends, is unpacked).

    Raises:
        PayloadError: saying what is wrong with the body.
    """
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("the body is not UTF-8 text") from None
    if content_type == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(text, keep_blank_values=True))
        if set(form) == {"payload"}:
            try:
                return json.loads(form["payload"])
            except ValueError:
                raise PayloadError("the form's payload field is not JSON") from None
        return form
    try:
        return json.loads(text)
    except ValueError as exc:
        raise PayloadError(f"the body is not JSON ({exc})") from None


class WebhookReceiver:
    """Serves ``POST /hooks/<name>`` between :meth:`start` and :meth:`stop` (on the running loop).

    ``clock`` (unix seconds) is what timestamps are checked against; ``log`` receives one line per
    delivery (hook, status, reason) for a console.
    """

    def __init__(
        self,
        find_hook: FindHook,
        deliver: Deliver,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        clock: Callable[[], float] = time.time,
        log: Callable[[str], None] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._find_hook = find_hook
        self._deliver = deliver
        self.host = host
        self.port = port
        self._clock = clock
        self._log = log
        self._max_body = max_body_bytes
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._seen: dict[tuple[str, str], float] = {}
        """(hook, signature header) of accepted timestamped deliveries → when that entry may be forgotten."""

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` (the real port when 0 was asked for). Raises: RuntimeError when not running."""
        if self._base_url is None:
            raise RuntimeError("the webhook receiver is not running: await start() first")
        return self._base_url

    def url_for(self, name: str) -> str:
        return f"{self.base_url}/hooks/{name}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> str:
        """Bind and serve; returns the base URL.

        Raises:
            OSError: the port is taken or the host cannot be bound.
        """
        if self._runner is not None:
            raise RuntimeError("the webhook receiver is already running")
        from aiohttp import web

        app = web.Application(client_max_size=self._max_body)
        app.router.add_post("/hooks/{name}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        self._runner = runner
        self._base_url = f"http://{host}:{port}"
        return self._base_url

    async def stop(self) -> None:
        runner, self._runner, self._base_url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> WebhookReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- one delivery --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            spec = self._find_hook(name)
        except FlowdeskError as exc:
            return self._answer(name, 500, {"error": f"webhook {name!r} cannot be served: {exc.message}"})
        if spec is None:
            return self._answer(name, 404, {"error": f"there is no webhook {name!r}"})
        body = await request.read()
        style = check_style(spec.style)
        try:
            verify(style, spec.secret, body, request.headers, now=self._clock())
        except SignatureError as exc:
            return self._answer(name, 401, {"error": f"signature refused: {exc.message}"})
        try:
            payload = parse_payload(body, request.content_type)
        except PayloadError as exc:
            return self._answer(name, 400, {"error": str(exc)})
        replay_key = self._replay_key(name, style, request)
        if replay_key is not None and replay_key in self._seen:
            return self._answer(name, 200, {"accepted": False, "duplicate": True, "hook": name})
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in HIDDEN_HEADERS}
        delivery = Delivery(hook=name, payload=payload, headers=headers, received_at=self._clock())
        try:
            flows = await self._deliver(delivery)
        except FlowdeskError as exc:
            return self._answer(name, 500, {"error": f"the delivery could not be handled: {exc.message}"})
        if replay_key is not None:
            self._remember(replay_key, request, style)
        return self._answer(name, 202, {"accepted": True, "hook": name, "flows": flows})

    def _replay_key(self, name: str, style: str, request: web.Request) -> tuple[str, str] | None:
        header = SIGNATURE_HEADERS[check_style(style)]
        if signed_timestamp(style, request.headers) is None:
            return None
        return name, request.headers.get(header, "")

    def _remember(self, key: tuple[str, str], request: web.Request, style: str) -> None:
        now = self._clock()
        for old in [k for k, until in self._seen.items() if until < now]:
            del self._seen[old]
        stamp = signed_timestamp(style, request.headers) or int(now)
        self._seen[key] = stamp + TOLERANCE_S + 1  # after that a replay is refused as stale anyway

    def _answer(self, name: str, status: int, data: dict[str, Any]) -> web.Response:
        if self._log is not None:
            reason = data.get("error") or (", ".join(data.get("flows") or []) or "no flow listens")
            if data.get("duplicate"):
                reason = "duplicate delivery, ignored"
            self._log(f"POST /hooks/{name} -> {status} ({reason})")
        from aiohttp import web

        return web.json_response(data, status=status)


async def serve_until_cancelled(receiver: WebhookReceiver, on_ready: Callable[[str], None] | None = None) -> None:
    """Start ``receiver``, call ``on_ready(base_url)``, and serve until the awaiting task is cancelled."""
    import asyncio

    base_url = await receiver.start()
    try:
        if on_ready is not None:
            on_ready(base_url)
        await asyncio.Event().wait()
    finally:
        await receiver.stop()
