"""The store's webhooks (name, style, sealed signing secret) and the schedule state used for catch-up.

A mixin of :class:`~flowdesk.store.Store`, kept apart from the connection and run tables. A webhook's secret
is sealed like a connection's (AES-GCM under the workspace key, bound to the webhook's row id), so the data
dir never holds it readable.
"""

from __future__ import annotations

import re
import time
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from flowdesk.model.errors import ConflictError, NotFoundError, SecretStoreError, UserError
from flowdesk.store import _schema as tables
from flowdesk.store._records import WebhookInfo
from flowdesk.store._secrets import decrypt, encrypt, webhook_associated_data

WEBHOOK_STYLES = ("generic", "github", "stripe", "shopify")
"""How deliveries of a webhook are signed (see :mod:`flowdesk.webhooks`)."""

WEBHOOK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
"""Webhook names are one URL path segment: ``/hooks/<name>``."""


class WebhookStore:
    """Webhook and schedule-state methods of :class:`~flowdesk.store.Store`."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...
        def _workspace(self, db: Connection, name: str) -> Row[Any]: ...
        def _key(self, db: Connection, ws: Row[Any], *, create: bool) -> bytes | None: ...

    # --- webhooks ------------------------------------------------------------------------------------

    def add_webhook(self, workspace: str, name: str, style: str, secret: str, *, replace: bool = False) -> None:
        """Register ``name`` with its signing secret (sealed); ``replace`` changes an existing one's.

        Raises:
            UserError: a bad name, an unknown style or an empty secret.
            ConflictError: the name is taken (and ``replace`` is not set).
        """
        if not WEBHOOK_NAME.fullmatch(name):
            raise UserError(
                f"{name!r} cannot be a webhook name: use letters, digits, '.', '_' or '-' (at most 100), "
                "starting with a letter or digit"
            )
        if style not in WEBHOOK_STYLES:
            raise UserError(f"webhook style {style!r} is unknown (styles: {', '.join(WEBHOOK_STYLES)})")
        if not secret:
            raise UserError(f"webhook {name!r} needs a signing secret")
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._webhook_row(db, ws, name)
            if row is not None and not replace:
                raise ConflictError(
                    f"workspace {ws.name!r} already has a webhook {name!r}",
                    hint="remove it first (flowdesk webhook remove NAME), or choose another name",
                )
            if row is None:
                inserted = db.execute(
                    insert(tables.webhooks).values(workspace_id=ws.id, name=name, style=style, created_at=time.time())
                )
                webhook_id = inserted.lastrowid  # part of the secret's associated data
            else:
                webhook_id = int(row.id)
                db.execute(update(tables.webhooks).where(tables.webhooks.c.id == webhook_id).values(style=style))
                db.execute(delete(tables.secrets).where(tables.secrets.c.webhook_id == webhook_id))
            key = self._key(db, ws, create=True)
            assert key is not None
            nonce, ciphertext = encrypt(key, secret, webhook_associated_data(ws.uuid, webhook_id))
            db.execute(
                insert(tables.secrets).values(
                    workspace_id=ws.id,
                    owner_kind="webhook",
                    webhook_id=webhook_id,
                    field="secret",
                    nonce=nonce,
                    ciphertext=ciphertext,
                )
            )

    def list_webhooks(self, workspace: str) -> list[WebhookInfo]:
        with self._read() as db:
            ws = self._workspace(db, workspace)
            rows = db.execute(
                select(tables.webhooks.c.name, tables.webhooks.c.style, tables.webhooks.c.created_at)
                .where(tables.webhooks.c.workspace_id == ws.id)
                .order_by(tables.webhooks.c.name)
            ).all()
            return [WebhookInfo(r.name, r.style, r.created_at) for r in rows]

    def get_webhook(self, workspace: str, name: str) -> WebhookInfo:
        """Raises: NotFoundError naming the webhooks there are."""
        with self._read() as db:
            ws = self._workspace(db, workspace)
            row = self._existing_webhook(db, ws, name)
            return WebhookInfo(row.name, row.style, row.created_at)

    def webhook_secret(self, workspace: str, name: str) -> str:
        """The signing secret of ``name``, opened.

        Raises:
            NotFoundError: there is no such webhook.
            SecretStoreError: the secret cannot be opened (another key, or a damaged row).
        """
        with self._write() as db:  # a write: opening may record where the workspace key lives
            ws = self._workspace(db, workspace)
            row = self._existing_webhook(db, ws, name)
            sealed = db.execute(
                select(tables.secrets.c.nonce, tables.secrets.c.ciphertext).where(
                    tables.secrets.c.webhook_id == row.id, tables.secrets.c.field == "secret"
                )
            ).first()
            key = self._key(db, ws, create=False) if sealed is not None else None
            value = None
            if sealed is not None and key is not None:
                value = decrypt(key, sealed.nonce, sealed.ciphertext, webhook_associated_data(ws.uuid, row.id))
            if value is None:
                raise SecretStoreError(
                    f"the secret of webhook {name!r} cannot be opened: the workspace key is missing or different",
                    hint=f"enter it again: flowdesk webhook add {name} --replace",
                )
            return value

    def remove_webhook(self, workspace: str, name: str) -> None:
        """Delete a webhook and its secret. Raises: NotFoundError."""
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._existing_webhook(db, ws, name)
            db.execute(delete(tables.secrets).where(tables.secrets.c.webhook_id == row.id))
            db.execute(delete(tables.webhooks).where(tables.webhooks.c.id == row.id))

    def _webhook_row(self, db: Connection, ws: Row[Any], name: str) -> Row[Any] | None:
        return db.execute(
            select(tables.webhooks).where(tables.webhooks.c.workspace_id == ws.id, tables.webhooks.c.name == name)
        ).first()

    def _existing_webhook(self, db: Connection, ws: Row[Any], name: str) -> Row[Any]:
        row = self._webhook_row(db, ws, name)
        if row is None:
            names = db.scalars(
                select(tables.webhooks.c.name)
                .where(tables.webhooks.c.workspace_id == ws.id)
                .order_by(tables.webhooks.c.name)
            ).all()
            raise NotFoundError(
                f"there is no webhook {name!r} in workspace {ws.name!r} (webhooks: {', '.join(names) or 'none'})",
                hint="flowdesk webhook add NAME registers one",
            )
        return row

    # --- schedule state ------------------------------------------------------------------------------

    def schedule_state(self, workspace: str) -> dict[tuple[str, str], float]:
        """``(flow name, trigger node id)`` → the newest fire time handled (UTC epoch seconds)."""
        state = tables.schedule_state
        with self._read() as db:
            ws = self._workspace(db, workspace)
            rows = db.execute(
                select(state.c.flow_name, state.c.node_id, state.c.last_fired_at).where(state.c.workspace_id == ws.id)
            ).all()
            return {(r.flow_name, r.node_id): r.last_fired_at for r in rows}

    def claim_schedule(
        self, workspace: str, flow: str, node_id: str, *, expected: float | None, last_fired_at: float
    ) -> bool:
        """Record that ``flow``'s trigger ``node_id`` has been handled up to ``last_fired_at`` -- only while
        the stored value is still ``expected`` (``None``: no state yet).

        A compare-and-set in one write transaction, so of two processes serving one data dir only one fires
        a given time. Returns whether this call wrote.
        """
        state = tables.schedule_state
        with self._write() as db:  # BEGIN IMMEDIATE: the read and the write are one step
            ws = self._workspace(db, workspace)
            row = db.execute(
                select(state.c.id, state.c.last_fired_at).where(
                    state.c.workspace_id == ws.id,
                    state.c.flow_name == flow,
                    state.c.node_id == node_id,
                )
            ).first()
            if (None if row is None else row.last_fired_at) != expected:
                return False
            if row is None:
                db.execute(
                    insert(state).values(
                        workspace_id=ws.id, flow_name=flow, node_id=node_id, last_fired_at=last_fired_at
                    )
                )
            else:
                db.execute(update(state).where(state.c.id == row.id).values(last_fired_at=last_fired_at))
            return True
