"""Nodes that call APIs through the connection runtime: api_call, lookup, webhook_out.

Retries, rate limits, pagination and the API-call events are the connection client's work; a call that
still fails after the client's retries raises an ``ApiError``, which these nodes turn into the item's error
(the ``error`` port, or a failed run). A missing connection or entity fails the node, not an item.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flowdesk.connections import UNSET
from flowdesk.engine._fields import MISSING, as_items, get_field, join_key, set_field
from flowdesk.engine._inbox import Batch
from flowdesk.engine._node import ItemFailedError, Node, NodeFailedError
from flowdesk.model.connection import Connection, Entity
from flowdesk.model.errors import FlowdeskError, UserError
from flowdesk.model.events import ContractWarning
from flowdesk.model.jsonpath import find_all
from flowdesk.model.templating import render, render_text

if TYPE_CHECKING:  # jsonschema loads only for nodes that check contracts
    from flowdesk.connections import ApiResponse, ConnectionClient
    from flowdesk.model.contract import ContractChecker

MAX_CONTRACT_WARNINGS = 20
"""Contract mismatches one node reports per run; after that it stops checking (the first ones tell the story)."""


def response_item(response: ApiResponse) -> dict[str, Any]:
    """What ``output: response`` emits for one call."""
    return {"status": response.status, "headers": dict(response.headers), "body": response.body}


async def close_pages(pages: AsyncIterator[Any]) -> None:
    """Stop a page iterator early (a failure or cancel mid-way) so it fetches nothing more."""
    close = getattr(pages, "aclose", None)
    if close is not None:
        await close()


class _Ticket:
    """Counts down the items of one batch handled by a node's workers; releases the batch at zero."""

    __slots__ = ("left", "node", "port")

    def __init__(self, node: Node, port: str, left: int) -> None:
        self.node, self.port, self.left = node, port, left

    def done(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.node.release(self.port)


class ApiCallNode(Node):
    """One call per incoming item, ``concurrency`` at once; results leave in the order calls finish.

    ``output: records`` emits the records at the entity's data_path (one batch per page, so the first page
    moves on while the next is fetched); ``output: response`` emits ``{status, headers, body}`` per call,
    non-2xx answers included; ``map`` emits the incoming item with fields taken from the response body.

    With ``check_contract`` the records of every successful response are checked against the entity's
    contract (see :mod:`flowdesk.model.contract`); each mismatch is a :class:`ContractWarning` event, the
    first :data:`MAX_CONTRACT_WARNINGS` of them, and the items flow on unchanged.
    """

    type = "api_call"
    releases_itself = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._jobs: asyncio.Queue[tuple[Any, _Ticket] | None] = asyncio.Queue(maxsize=self.config.concurrency)
        self._workers: list[asyncio.Task[None]] = []
        self._entity: Entity | None = None
        self._client: ConnectionClient | None = None
        self._contract: ContractChecker | None = None
        self._checked = 0
        self._warned = 0

    def _resolve(self) -> tuple[Entity, ConnectionClient]:
        if self._entity is None or self._client is None:
            config = self.config
            try:
                self._entity = self.ctx.clients.entity(config.connection, config.entity)
                self._client = self.ctx.clients.client(config.connection)
                if config.check_contract:
                    self._contract = self._checker(self._entity)
            except FlowdeskError as exc:
                raise NodeFailedError(self, exc) from exc
        return self._entity, self._client

    def _checker(self, entity: Entity) -> ContractChecker:
        """The entity's compiled contract, shared by every node of the run that calls it."""
        from flowdesk.model.contract import ContractChecker

        checkers: dict[tuple[str, str], ContractChecker] = self.ctx.extras.setdefault("contracts", {})
        key = (self.config.connection, entity.name)
        checker = checkers.get(key)
        if checker is None:
            checker = checkers[key] = ContractChecker(entity)
        return checker

    def _check_contract(self, response: ApiResponse, records: Sequence[Any] | None = None) -> None:
        """Report the mismatches of a successful response's records (``records`` when already extracted)."""
        contract = self._contract
        if contract is None or not contract.active or self._warned >= MAX_CONTRACT_WARNINGS:
            return
        if records is None:
            if not 200 <= response.status < 300:
                return
            try:
                records = response.records(self._entity.data_path if self._entity else None)
            except FlowdeskError:
                return  # a body without records at the data path: no records to check
        first, self._checked = self._checked, self._checked + len(records)
        config = self.config
        for mismatch in contract.check(records, first_index=first, limit=MAX_CONTRACT_WARNINGS - self._warned):
            self._warned += 1
            self.ctx.event(
                ContractWarning(
                    node_id=self.id, connection=config.connection, entity=config.entity, field=mismatch.field,
                    expected=mismatch.expected, got=mismatch.got, record=mismatch.record,
                )
            )  # fmt: skip

    async def on_batch(self, port: str, batch: Batch) -> None:
        self._resolve()
        if not self._workers:
            self._workers = [self.spawn(self._worker()) for _ in range(self.config.concurrency)]
        ticket = _Ticket(self, port, len(batch))
        for item in batch:
            await self._jobs.put((item, ticket))

    async def on_finish(self) -> None:
        for _ in self._workers:
            await self._jobs.put(None)
        await asyncio.gather(*self._workers)

    async def _worker(self) -> None:
        while True:
            job = await self._jobs.get()
            if job is None:
                return
            item, ticket = job
            try:
                await self._call(item)
            except (NodeFailedError, ItemFailedError):
                raise
            except FlowdeskError as exc:
                await self.fail_item(item, exc)
            except Exception as exc:  # a bug, but say which item it happened on
                raise ItemFailedError(self, item, exc) from exc
            ticket.done()

    async def _call(self, item: Any) -> None:
        entity, client = self._resolve()
        config = self.config
        options: dict[str, Any] = {
            "params": config.params or None,
            "query": config.query or None,
            "headers": config.headers or None,
            "body": UNSET if config.body is None else config.body,
            "item": item,
            "variables": self.variables,
            "body_from_item": config.body_from_item,
            "node_id": self.id,
        }
        raw = config.output == "response" and not config.map
        if config.map:
            response = await client.send(entity, **options)
            self._check_contract(response)
            await self.emit("out", [self._mapped(item, response)])
        elif config.all_pages:
            pages = client.pages(entity, raise_for_status=not raw, concurrency=config.concurrency, **options)
            try:
                async for page in pages:
                    if raw:
                        self._check_contract(page.response)
                        await self.emit("out", [response_item(page.response)])
                    else:
                        self._check_contract(page.response, page.records)
                        await self.emit("out", as_items(page.records))
            finally:
                await close_pages(pages)
        else:
            response = await client.send(entity, raise_for_status=not raw, **options)
            if raw:
                self._check_contract(response)
                await self.emit("out", [response_item(response)])
            else:
                records = response.records(entity.data_path)
                self._check_contract(response, records)
                await self.emit("out", as_items(records))

    def _mapped(self, item: Any, response: ApiResponse) -> dict[str, Any]:
        new = dict(item)
        for target, path in self.config.map.items():
            found = find_all(path, response.body)
            if not found:
                body = response.body
                fields = ", ".join(list(body)[:12]) if isinstance(body, dict) else type(body).__name__
                raise UserError(f"map {target}: {path} matches nothing in the response (it has: {fields})")
            set_field(new, target, found[0] if len(found) == 1 else found)
        return new

    async def on_close(self) -> None:
        for worker in self._workers:
            worker.cancel()


class LookupNode(Node):
    """Joins each item with the reference record whose ``key`` equals the item's ``match`` field.

    The reference data (every page of the entity) is loaded once, when the first item arrives; keys compare
    as text. ``left``: unmatched items go on with ``into`` set to ``None``; ``inner``: they go to ``missing``.
    """

    type = "lookup"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index: dict[Any, Any] | None = None
        self._load_error: FlowdeskError | None = None

    async def _load(self) -> None:
        config = self.config
        try:
            entity = self.ctx.clients.entity(config.connection, config.entity)
            client = self.ctx.clients.client(config.connection)
        except FlowdeskError as exc:
            raise NodeFailedError(self, exc) from exc
        index: dict[Any, Any] = {}
        try:
            pages = client.pages(entity, variables=self.variables, node_id=self.id)
            try:
                async for page in pages:
                    for record in page.records:
                        value = get_field(record, config.key) if isinstance(record, dict) else MISSING
                        if value is not MISSING and value is not None:
                            index.setdefault(join_key(value), record)
            finally:
                await close_pages(pages)
        except FlowdeskError as exc:
            self._load_error = exc
        self._index = index

    async def on_batch(self, port: str, batch: Batch) -> None:
        if self._index is None:
            await self._load()
        if self._load_error is not None:
            error = UserError(f"the reference data could not be loaded: {self._load_error.message}")
            for item in batch:
                await self.fail_item(item, error)
            return
        assert self._index is not None
        config = self.config
        index, into, left = self._index, config.into, config.mode == "left"
        out: Batch = []
        missing: Batch = []
        for item in batch:
            value = get_field(item, config.match)
            record = index.get(join_key(value)) if value is not MISSING and value is not None else None
            if record is None and not left:
                missing.append(item)
                continue
            joined = dict(item)
            set_field(joined, into, record)
            out.append(joined)
        await self.emit("out", out)
        await self.emit("missing", missing)


class WebhookOutNode(Node):
    """POSTs each item (or ``body`` filled from it) as JSON, and passes the item on.

    With ``secret_ref`` the request is signed like flowdesk's own webhooks: ``X-Flowdesk-Signature:
    t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``; the secret comes from the provider's
    ``webhook_secret(ref)``. ``url`` posts to a bare URL (no connection; default retry policy);
    ``connection`` + ``entity`` uses that connection's auth, retries and events. Each item's POST carries an
    ``Idempotency-Key``, which is what lets the client retry it (on 429/5xx and connect errors) like a call
    to an idempotent entity.
    """

    type = "webhook_out"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._secret: bytes | None = None
        self._target: tuple[Entity, ConnectionClient] | None = None

    def _signing_secret(self) -> bytes:
        if self._secret is None:
            ref = self.config.secret_ref
            provide = getattr(self.ctx.clients, "webhook_secret", None)
            if provide is None:
                raise NodeFailedError(
                    self, f"it signs with the secret {ref!r}, but this workspace cannot provide webhook secrets"
                )
            try:
                secret = provide(ref)
            except FlowdeskError as exc:
                raise NodeFailedError(self, exc) from exc
            if not secret:
                raise NodeFailedError(self, f"there is no webhook secret {ref!r}")
            self._secret = secret.encode() if isinstance(secret, str) else bytes(secret)
        return self._secret

    async def on_batch(self, port: str, batch: Batch) -> None:
        for item in batch:
            try:
                await self._post(item)
            except NodeFailedError:
                raise
            except FlowdeskError as exc:
                await self.fail_item(item, exc)
                continue
            await self.emit("out", [item])

    async def _post(self, item: Any) -> None:
        config = self.config
        payload = item if config.body is None else render(config.body, item, self.variables)
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
        # one key per item, the same on every attempt: the client may then resend the POST on 429/5xx and
        # connect errors (retried like any call), and a receiver can drop a delivery it already has
        headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
        if config.secret_ref:
            stamp = str(int(time.time()))
            digest = hmac.new(self._signing_secret(), f"{stamp}.{raw}".encode(), hashlib.sha256).hexdigest()
            headers["X-Flowdesk-Signature"] = f"t={stamp},v1={digest}"
        body = raw.replace("{", "{{").replace("}", "}}")  # the client fills templates; this text is final
        if config.url:
            url = render_text(config.url, item, self.variables)
            client = self._url_client(url)
            await client.send(
                None, method="POST", path=url, headers=headers, body=body, body_type="text", node_id=self.id
            )
        else:
            if self._target is None:
                try:
                    clients = self.ctx.clients
                    self._target = (clients.entity(config.connection, config.entity), clients.client(config.connection))
                except FlowdeskError as exc:
                    raise NodeFailedError(self, exc) from exc
            entity, client = self._target
            await client.send(entity, method="POST", headers=headers, body=body, body_type="text", node_id=self.id)

    def _url_client(self, url: str) -> ConnectionClient:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UserError(f"webhook url {url!r} is not an http(s) URL")
        origin = f"{parts.scheme}://{parts.netloc}"
        clients: dict[str, ConnectionClient] = self.ctx.extras.setdefault("url_clients", {})
        client = clients.get(origin)
        if client is None:
            factory = self.ctx.extras.get("url_client_factory")
            connection = Connection(name=f"webhook {parts.netloc}", base_url=origin)
            if factory is not None:
                client = factory(connection)
            else:
                from flowdesk.connections import ConnectionClient

                client = ConnectionClient(connection, on_event=self.ctx.event)
            clients[origin] = client
        return client
