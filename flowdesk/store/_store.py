"""The :class:`Store`: every read and write of the SQLite file, one short transaction each.

Rows never leave this module: callers get model objects (:class:`~flowdesk.model.Connection`) or the frozen
records of :mod:`flowdesk.store._records`. Secret values are sealed (AES-GCM, :mod:`._secrets`) on the way in
and opened on the way out, so no readable secret is ever written to the file.

Statements are SQLAlchemy Core on the tables of :mod:`._schema`, run on a connection inside one transaction
per public call (``engine.begin()``); the ORM is never imported (see :mod:`._schema`). The pydantic models of
:mod:`flowdesk.model` are imported where a connection is built or taken apart, not when the store is.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection as SqlConnection
from sqlalchemy import Engine, Integer, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.exc import OperationalError as SqlOperationalError

from flowdesk.model.errors import ConflictError, NotFoundError, OperationalError, SecretStoreError, UserError
from flowdesk.store import _schema as tables
from flowdesk.store._engine import WRITE, make_engine
from flowdesk.store._hooks import WebhookStore
from flowdesk.store._migrate import ensure_schema
from flowdesk.store._paths import DB_FILENAME, VAULT_FILENAME, default_data_dir
from flowdesk.store._records import (
    ApiCallRecord,
    AuditEntry,
    ConnectionInfo,
    ConnectionStatus,
    ConnectionUsage,
    FlowInfo,
    MemberInfo,
    Role,
    RunDetail,
    RunInfo,
    RunNodeRecord,
    WorkspaceInfo,
)
from flowdesk.store._schema import ROLES, RUN_STATUSES
from flowdesk.store._secrets import KeyChain, KeyStore, associated_data, decrypt, encrypt
from flowdesk.store._vault import password_from_env

if TYPE_CHECKING:
    from flowdesk.model import ApiCallMade, Connection, Entity

DAY_S = 86_400.0
RECENT_ERRORS = 20
INTERRUPTED_MESSAGE = "the process running this flow stopped (killed or crashed) before the run finished"


@dataclass(frozen=True)
class HourUsage:
    """Calls and failed calls of one connection in the hour starting at ``start`` (epoch seconds, UTC)."""

    start: float
    calls: int
    errors: int


class Store(WebhookStore):
    """The local store of one data directory. Open with :meth:`open`; :meth:`close` when done.

    Every public method runs in its own transaction (writes take the write lock up front, see
    :mod:`._engine`), so a failure leaves what was saved before intact.
    """

    def __init__(self, data_dir: Path, engine: Engine, keychain: KeyChain) -> None:
        self.data_dir = data_dir
        self.db_path = data_dir / DB_FILENAME
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        self._keychain = keychain
        self._keys: dict[str, bytes] = {}
        self.interrupted_runs: list[str] = []
        """Runs found ``running`` without a live process at open, now marked ``interrupted``."""

    @classmethod
    def open(cls, data_dir: Path | None = None, *, master_password: Callable[[], str | None] | None = None) -> Store:
        """Open (creating and migrating as needed) the store in ``data_dir`` (default: the user data dir).

        Raises:
            OperationalError: the folder cannot be created, or the file is not a usable flowdesk database.
        """
        folder = Path(data_dir) if data_dir is not None else default_data_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OperationalError(
                f"cannot create the data folder {folder}: {exc.strerror}",
                hint="pass --data-dir (or set FLOWDESK_DATA_DIR) to a folder you can write to",
            ) from exc
        db_path = folder / DB_FILENAME
        engine = make_engine(db_path)
        try:
            ensure_schema(engine, db_path)
        except BaseException:
            engine.dispose()
            raise
        store = cls(folder, engine, KeyChain(folder / VAULT_FILENAME, master_password or password_from_env))
        store.interrupted_runs = store._mark_interrupted_runs()
        return store

    def close(self) -> None:
        self._engine.dispose()

    # --- transactions --------------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[SqlConnection]:
        try:
            with self._engine.begin() as db:
                yield db
        except SQLAlchemyError as exc:
            raise _translate(exc, self.db_path) from exc

    @contextmanager
    def _write(self) -> Iterator[SqlConnection]:
        try:
            with self._writer.begin() as db:
                yield db
        except IntegrityError as exc:
            raise ConflictError(f"the change conflicts with what is saved: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise _translate(exc, self.db_path) from exc

    # --- workspaces ----------------------------------------------------------------------------------

    def ensure_workspace(self, name: str) -> WorkspaceInfo:
        """The workspace ``name``, created on first use."""
        name = name.strip()
        if not name:
            raise NotFoundError("a workspace needs a name")
        by_name = select(tables.workspaces).where(tables.workspaces.c.name == name)
        with self._read() as db:
            row = db.execute(by_name).first()
            if row is not None:
                return _workspace_info(row)
        with self._write() as db:
            row = db.execute(by_name).first()
            if row is not None:  # another process made it in between
                return _workspace_info(row)
            made = WorkspaceInfo(name=name, uuid=str(uuid.uuid4()), created_at=time.time())
            db.execute(insert(tables.workspaces).values(name=made.name, uuid=made.uuid, created_at=made.created_at))
            return made

    def list_workspaces(self) -> list[WorkspaceInfo]:
        with self._read() as db:
            rows = db.execute(select(tables.workspaces).order_by(tables.workspaces.c.name)).all()
            return [_workspace_info(row) for row in rows]

    # --- connections ---------------------------------------------------------------------------------

    def entity_names(self, workspace: str) -> dict[str, set[str]]:
        """Connection name → its entity names: what validating a flow needs, without the usage statistics
        of :meth:`list_connections` (which scan the run history and grow slower with it)."""
        connection, entity = tables.connections, tables.entities
        with self._read() as db:
            ws = self._workspace(db, workspace)
            names: dict[str, set[str]] = {
                name: set()
                for (name,) in db.execute(select(connection.c.name).where(connection.c.workspace_id == ws.id))
            }
            for conn_name, entity_name in db.execute(
                select(connection.c.name, entity.c.name)
                .join(entity, entity.c.connection_id == connection.c.id)
                .where(connection.c.workspace_id == ws.id)
            ):
                names[conn_name].add(entity_name)
            return names

    def list_connections(self, workspace: str) -> list[ConnectionInfo]:
        """Every connection of ``workspace`` by name, with its usage over the last 24 hours."""
        since = time.time() - DAY_S
        api_call = tables.api_calls
        with self._read() as db:
            ws = self._workspace(db, workspace)
            rows = db.execute(
                select(tables.connections)
                .where(tables.connections.c.workspace_id == ws.id)
                .order_by(tables.connections.c.name)
            ).all()
            counts: dict[int, int] = dict(
                db.execute(
                    select(tables.entities.c.connection_id, func.count())
                    .join(tables.connections, tables.entities.c.connection_id == tables.connections.c.id)
                    .where(tables.connections.c.workspace_id == ws.id)
                    .group_by(tables.entities.c.connection_id)
                ).all()
            )
            day = {
                cid: (int(calls), int(oks or 0))
                for cid, calls, oks in db.execute(
                    select(api_call.c.connection_id, func.count(), func.sum(api_call.c.ok, type_=Integer))
                    .where(api_call.c.workspace_id == ws.id, api_call.c.at >= since)
                    .group_by(api_call.c.connection_id)
                ).all()
            }
            last = self._last_calls(db, ws.id)
            infos = []
            for row in rows:
                calls, oks = day.get(row.id, (0, 0))
                last_call = last.get(row.id)
                infos.append(
                    ConnectionInfo(
                        name=row.name,
                        service=row.service,
                        base_url=str(row.data.get("base_url", "")),
                        auth_type=str((row.data.get("auth") or {}).get("type", "none")),
                        entity_count=int(counts.get(row.id, 0)),
                        last_used=last_call[0] if last_call else None,
                        calls_24h=calls,
                        success_rate=(oks / calls) if calls else None,
                        last_status=_status(row, last_call),
                        created_at=row.created_at,
                        updated_at=row.updated_at,
                    )
                )
            return infos

    def get_connection(self, workspace: str, name: str, *, secrets: bool = True) -> Connection:
        """The connection ``name`` with its entities, and its secrets unless ``secrets=False``.

        Raises:
            NotFoundError: no such connection (the message lists the ones there are).
            SecretStoreError: a secret cannot be opened (the keychain entry is gone or another key).
        """
        from flowdesk.model import with_secrets

        with self._read() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, name)
            data = dict(row.data)
            data["entities"] = [e.data for e in _entities(db, row.id)]
            values: dict[str, str] = {}
            if secrets:
                sealed = db.execute(
                    select(tables.secrets.c.field, tables.secrets.c.nonce, tables.secrets.c.ciphertext).where(
                        tables.secrets.c.connection_id == row.id
                    )
                ).all()
                if sealed:
                    key = self._key(db, ws, create=False)
                    for secret in sealed:
                        value = (
                            None
                            if key is None
                            else decrypt(
                                key, secret.nonce, secret.ciphertext, associated_data(ws.uuid, row.id, secret.field)
                            )
                        )
                        if value is None:
                            raise SecretStoreError(
                                f"the secret {secret.field} of connection {name!r} cannot be opened: the workspace "
                                f"key in the keychain is missing or is not the one it was sealed with",
                                hint=f"enter the secret again (flowdesk connection add FILE --replace, or edit "
                                f"{name!r} in the window)",
                            )
                        values[secret.field] = value
        return with_secrets(data, values)

    def add_connection(self, workspace: str, connection: Connection, *, replace: bool = False) -> None:
        """Save a new connection (or, with ``replace``, overwrite the one of the same name).

        Raises:
            ConflictError: the name is taken (without ``replace``), or a preset service already has a
                connection in this workspace ("Only one github connection allowed per workspace").
        """
        with self._write() as db:
            ws = self._workspace(db, workspace)
            existing = db.scalars(
                select(tables.connections.c.id).where(
                    tables.connections.c.workspace_id == ws.id, tables.connections.c.name == connection.name
                )
            ).first()
            if existing is not None and not replace:
                raise ConflictError(
                    f"a connection named {connection.name!r} already exists in workspace {workspace!r}",
                    hint="choose another name, or replace it (flowdesk connection add FILE --replace)",
                )
            self._check_one_per_service(db, ws, connection, keep=existing)
            self._write_connection(db, ws, existing, connection, time.time())

    def update_connection(self, workspace: str, old_name: str, connection: Connection) -> None:
        """Replace the connection ``old_name`` by ``connection`` (which may carry a new name).

        The row keeps its identity, so call history and flows' usage statistics follow a rename.
        """
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, old_name)
            if connection.name != old_name:
                taken = db.scalars(
                    select(tables.connections.c.id).where(
                        tables.connections.c.workspace_id == ws.id, tables.connections.c.name == connection.name
                    )
                ).first()
                if taken is not None:
                    raise ConflictError(
                        f"a connection named {connection.name!r} already exists in workspace {workspace!r}",
                        hint="choose another name",
                    )
            self._check_one_per_service(db, ws, connection, keep=row.id)
            self._write_connection(db, ws, row.id, connection, time.time())

    def remove_connection(self, workspace: str, name: str) -> None:
        """Delete a connection with its entities and secrets; its call history stays, unlinked."""
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, name)
            db.execute(delete(tables.connections).where(tables.connections.c.id == row.id))

    def set_entities(self, workspace: str, connection: str, entities: Sequence[Entity], *, replace: bool) -> None:
        """Add entities to a connection, updating those of the same name; ``replace`` drops all others."""
        table = tables.entities
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, connection)
            current = {e.name: e for e in _entities(db, row.id)}
            if replace:
                db.execute(delete(table).where(table.c.connection_id == row.id))
                current = {}
            position = max((e.position for e in current.values()), default=-1) + 1
            for entity in entities:
                data = entity.model_dump(mode="json", by_alias=True, exclude_none=True)
                found = current.get(entity.name)
                if found is not None:
                    db.execute(update(table).where(table.c.id == found.id).values(data=data))
                else:
                    db.execute(
                        insert(table).values(connection_id=row.id, name=entity.name, position=position, data=data)
                    )
                    position += 1
            self._touch_connection(db, row.id)

    def remove_entity(self, workspace: str, connection: str, entity: str) -> None:
        table = tables.entities
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, connection)
            found = db.scalars(
                select(table.c.id).where(table.c.connection_id == row.id, table.c.name == entity)
            ).first()
            if found is None:
                raise NotFoundError(f"connection {connection!r} has no entity {entity!r}")
            db.execute(delete(table).where(table.c.id == found))
            self._touch_connection(db, row.id)

    def record_test(self, workspace: str, connection: str, ok: bool) -> None:
        """Remember the outcome of a connection test (the list's status dot)."""
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, connection)
            db.execute(
                update(tables.connections)
                .where(tables.connections.c.id == row.id)
                .values(last_test_ok=ok, last_tested_at=time.time())
            )

    # --- call history --------------------------------------------------------------------------------

    def record_api_calls(
        self, workspace: str, events: Iterable[ApiCallMade], *, run_id: str | None = None, user: str | None = None
    ) -> None:
        """Append API-call events (already redacted by the connection runtime), made by ``user``, in one
        transaction."""
        events = list(events)
        if not events:
            return
        with self._write() as db:
            ws = self._workspace(db, workspace)
            ids = dict(
                db.execute(
                    select(tables.connections.c.name, tables.connections.c.id).where(
                        tables.connections.c.workspace_id == ws.id
                    )
                ).all()
            )
            db.execute(
                insert(tables.api_calls),
                [
                    {
                        "workspace_id": ws.id,
                        "connection_id": ids.get(event.connection),
                        "connection_name": event.connection,
                        "entity": event.entity,
                        "run_id": event.run_id or run_id,
                        "node_id": event.node_id,
                        "at": event.at,
                        "method": event.method,
                        "url": event.url,
                        "status": event.status,
                        "duration_ms": event.duration_ms,
                        "attempt": event.attempt,
                        "ok": event.ok,
                        "error": event.error,
                        "user": user,
                    }
                    for event in events
                ],
            )

    def connection_usage(self, workspace: str, connection: str) -> ConnectionUsage:
        """Last use, calls and success rate over 24 hours, and the most recent failed calls."""
        since = time.time() - DAY_S
        api_call = tables.api_calls
        with self._read() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, connection)
            calls, oks = db.execute(
                select(func.count(), func.sum(api_call.c.ok, type_=Integer)).where(
                    api_call.c.connection_id == row.id, api_call.c.at >= since
                )
            ).one()
            last_used = db.scalar(select(func.max(api_call.c.at)).where(api_call.c.connection_id == row.id))
            errors = db.execute(
                select(api_call)
                .where(api_call.c.connection_id == row.id, api_call.c.ok.is_(False))
                .order_by(api_call.c.at.desc(), api_call.c.id.desc())
                .limit(RECENT_ERRORS)
            ).all()
            return ConnectionUsage(
                last_used=last_used,
                calls_24h=int(calls),
                success_rate=(int(oks or 0) / calls) if calls else None,
                recent_errors=[_call_record(e, row.name) for e in errors],
            )

    def list_api_calls(
        self, workspace: str, connection: str, *, since: datetime | float | None = None, limit: int = 1000
    ) -> list[ApiCallRecord]:
        """The newest calls of a connection (newest first), optionally only those since a moment."""
        api_call = tables.api_calls
        with self._read() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, connection)
            query = select(api_call).where(api_call.c.connection_id == row.id)
            if since is not None:
                query = query.where(api_call.c.at >= _epoch(since))
            rows = db.execute(query.order_by(api_call.c.at.desc(), api_call.c.id.desc()).limit(limit)).all()
            return [_call_record(r, row.name) for r in rows]

    def hourly_usage(self, workspace: str, connection: str, *, since: datetime | float) -> list[HourUsage]:
        """Calls and failures per UTC hour since ``since`` (hours without calls are left out)."""
        api_call = tables.api_calls
        hour = func.cast(api_call.c.at / 3600, Integer) * 3600
        with self._read() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, connection)
            rows = db.execute(
                select(hour, func.count(), func.count() - func.sum(api_call.c.ok, type_=Integer))
                .where(api_call.c.connection_id == row.id, api_call.c.at >= _epoch(since))
                .group_by(hour)
                .order_by(hour)
            ).all()
            return [HourUsage(float(start), int(calls), int(errors or 0)) for start, calls, errors in rows]

    # --- flows ---------------------------------------------------------------------------------------

    def save_flow(self, workspace: str, name: str, data: dict[str, Any]) -> None:
        """Store a flow document under ``name``, replacing the one of that name."""
        now = time.time()
        with self._write() as db:
            ws = self._workspace(db, workspace)
            found = db.scalars(
                select(tables.flows.c.id).where(tables.flows.c.workspace_id == ws.id, tables.flows.c.name == name)
            ).first()
            if found is None:
                db.execute(
                    insert(tables.flows).values(
                        workspace_id=ws.id, name=name, data=data, created_at=now, updated_at=now
                    )
                )
            else:
                db.execute(update(tables.flows).where(tables.flows.c.id == found).values(data=data, updated_at=now))

    def list_flows(self, workspace: str) -> list[FlowInfo]:
        with self._read() as db:
            ws = self._workspace(db, workspace)
            rows = db.execute(
                select(tables.flows).where(tables.flows.c.workspace_id == ws.id).order_by(tables.flows.c.name)
            ).all()
            run = tables.runs
            latest = (
                select(run.c.flow_name, func.max(run.c.started_at).label("at"))
                .where(run.c.workspace_id == ws.id)
                .group_by(run.c.flow_name)
                .subquery()
            )
            statuses = dict(
                db.execute(
                    select(run.c.flow_name, run.c.status)
                    .join(latest, (run.c.flow_name == latest.c.flow_name) & (run.c.started_at == latest.c.at))
                    .where(run.c.workspace_id == ws.id)
                ).all()
            )
            return [
                FlowInfo(
                    name=row.name,
                    node_count=len(row.data.get("nodes") or []),
                    updated_at=row.updated_at,
                    last_run_status=statuses.get(row.name),
                    created_at=row.created_at,
                )
                for row in rows
            ]

    def get_flow(self, workspace: str, name: str) -> dict[str, Any]:
        with self._read() as db:
            ws = self._workspace(db, workspace)
            return dict(self._flow(db, ws, name).data)

    def remove_flow(self, workspace: str, name: str) -> None:
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._flow(db, ws, name)
            db.execute(delete(tables.flows).where(tables.flows.c.id == row.id))

    def rename_flow(self, workspace: str, old: str, new: str) -> None:
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._flow(db, ws, old)
            if old == new:
                return
            taken = db.scalars(
                select(tables.flows.c.id).where(tables.flows.c.workspace_id == ws.id, tables.flows.c.name == new)
            )
            if taken.first() is not None:
                raise ConflictError(f"a flow named {new!r} already exists in workspace {workspace!r}")
            data = dict(row.data)
            data["name"] = new
            db.execute(
                update(tables.flows)
                .where(tables.flows.c.id == row.id)
                .values(name=new, data=data, updated_at=time.time())
            )

    # --- runs ----------------------------------------------------------------------------------------

    def start_run(self, workspace: str, flow_name: str, trigger: str) -> str:
        """Record a run as ``running`` (with this process's id, to detect a killed process later)."""
        run_id = str(uuid.uuid4())
        with self._write() as db:
            ws = self._workspace(db, workspace)
            db.execute(
                insert(tables.runs).values(
                    id=run_id,
                    workspace_id=ws.id,
                    flow_name=flow_name,
                    trigger=trigger,
                    status="running",
                    started_at=time.time(),
                    pid=os.getpid(),
                    host=socket.gethostname(),
                )
            )
        return run_id

    def finish_run(
        self,
        run_id: str,
        status: str,
        error: str | None,
        summary: dict[str, Any] | None,
        nodes: Sequence[RunNodeRecord],
    ) -> None:
        if status not in RUN_STATUSES or status == "running":
            raise ValueError(f"a run cannot finish as {status!r}")
        with self._write() as db:
            finished = db.execute(
                update(tables.runs)
                .where(tables.runs.c.id == run_id)
                .values(status=status, error=error, summary=summary, finished_at=time.time())
            )
            if not finished.rowcount:
                raise NotFoundError(f"there is no run {run_id}")
            db.execute(delete(tables.run_nodes).where(tables.run_nodes.c.run_id == run_id))
            if nodes:
                db.execute(
                    insert(tables.run_nodes),
                    [
                        {
                            "run_id": run_id,
                            "node_id": n.node_id,
                            "items_in": n.items_in,
                            "items_out": n.items_out,
                            "errors": n.errors,
                            "duration_ms": n.duration_ms,
                            "sample": list(n.sample),
                            "error": n.error,
                        }
                        for n in nodes
                    ],
                )

    def list_runs(self, workspace: str, *, flow: str | None = None, limit: int = 50) -> list[RunInfo]:
        run = tables.runs
        with self._read() as db:
            ws = self._workspace(db, workspace)
            query = select(run).where(run.c.workspace_id == ws.id)
            if flow is not None:
                query = query.where(run.c.flow_name == flow)
            rows = db.execute(query.order_by(run.c.started_at.desc()).limit(limit)).all()
            return [_run_info(row, ws.name) for row in rows]

    def get_run(self, run_id: str) -> RunDetail:
        """A run with its nodes and API calls; ``run_id`` may be a unique prefix (as ``runs list`` shows)."""
        run, node, call = tables.runs, tables.run_nodes, tables.api_calls
        with self._read() as db:
            rows = db.execute(select(run).where(run.c.id.startswith(run_id, autoescape=True)).limit(2)).all()
            if not rows or not run_id:
                raise NotFoundError(f"there is no run {run_id!r}", hint="flowdesk runs list shows the run ids")
            if len(rows) > 1:
                raise NotFoundError(f"{run_id!r} is the start of several run ids; give more of it")
            row = rows[0]
            ws_name = db.scalar(select(tables.workspaces.c.name).where(tables.workspaces.c.id == row.workspace_id))
            nodes = db.execute(select(node).where(node.c.run_id == row.id).order_by(node.c.id))
            calls = db.execute(select(call).where(call.c.run_id == row.id).order_by(call.c.at, call.c.id))
            return RunDetail(
                info=_run_info(row, ws_name or ""),
                nodes=[
                    RunNodeRecord(
                        node_id=n.node_id,
                        items_in=n.items_in,
                        items_out=n.items_out,
                        errors=n.errors,
                        duration_ms=n.duration_ms,
                        sample=list(n.sample or []),
                        error=n.error,
                    )
                    for n in nodes
                ],
                api_calls=[_call_record(c, c.connection_name) for c in calls],
            )

    def _mark_interrupted_runs(self) -> list[str]:
        """Mark ``running`` runs whose process is gone as ``interrupted``; returns their ids."""
        host = socket.gethostname()
        run = tables.runs
        with self._read() as db:
            running = db.execute(select(run.c.id, run.c.pid, run.c.host).where(run.c.status == "running"))
            dead = [
                run_id
                for run_id, pid, run_host in running.all()
                if pid is None or (run_host == host and not _process_alive(pid))
            ]
        if dead:
            with self._write() as db:
                db.execute(
                    update(run)
                    .where(run.c.id.in_(dead), run.c.status == "running")
                    .values(status="interrupted", error=INTERRUPTED_MESSAGE, finished_at=time.time())
                )
        return dead

    # --- audit ---------------------------------------------------------------------------------------

    def add_audit(
        self, workspace: str, user: str, action: str, target: str, detail: dict[str, Any] | None = None
    ) -> None:
        with self._write() as db:
            ws = self._workspace(db, workspace)
            db.execute(
                insert(tables.audit_events).values(
                    workspace_id=ws.id, at=time.time(), user=user, action=action, target=target, detail=detail
                )
            )

    def list_audit(
        self, workspace: str, *, limit: int = 100, target: str | None = None, actions: Sequence[str] = ()
    ) -> list[AuditEntry]:
        """The newest audit events (newest first), optionally only those about ``target`` or of ``actions``."""
        audit = tables.audit_events
        with self._read() as db:
            ws = self._workspace(db, workspace)
            query = select(audit).where(audit.c.workspace_id == ws.id)
            if target is not None:
                query = query.where(audit.c.target == target)
            if actions:
                query = query.where(audit.c.action.in_(list(actions)))
            rows = db.execute(query.order_by(audit.c.at.desc(), audit.c.id.desc()).limit(limit)).all()
            return [AuditEntry(r.at, r.user, r.action, r.target, r.detail) for r in rows]

    def list_recent_calls(self, workspace: str, *, limit: int = 100) -> list[ApiCallRecord]:
        """The newest API calls of every connection of ``workspace`` (newest first): the per-call audit trail."""
        api_call = tables.api_calls
        with self._read() as db:
            ws = self._workspace(db, workspace)
            rows = db.execute(
                select(api_call)
                .where(api_call.c.workspace_id == ws.id)
                .order_by(api_call.c.at.desc(), api_call.c.id.desc())
                .limit(limit)
            ).all()
            return [_call_record(r, r.connection_name) for r in rows]

    # --- members -------------------------------------------------------------------------------------

    def list_members(self, workspace: str) -> list[MemberInfo]:
        """Every member of ``workspace``, admins first, then by name."""
        member = tables.members
        with self._read() as db:
            ws = self._workspace(db, workspace)
            rows = db.execute(
                select(member.c.user, member.c.role, member.c.created_at).where(member.c.workspace_id == ws.id)
            ).all()
            members = [MemberInfo(r.user, _role(r.role), r.created_at) for r in rows]
        return sorted(members, key=lambda m: (ROLES.index(m.role), m.user))

    def member_role(self, workspace: str, user: str) -> Role | None:
        """``user``'s role in ``workspace``; ``None`` when they are not a member."""
        member = tables.members
        with self._read() as db:
            ws = self._workspace(db, workspace)
            role = db.scalar(select(member.c.role).where(member.c.workspace_id == ws.id, member.c.user == user))
            return None if role is None else _role(role)

    def claim_first_admin(self, workspace: str, user: str) -> bool:
        """Make ``user`` the admin of a workspace that has no members yet; ``True`` when that happened.

        Checked and written in one write transaction, so of two processes opening a new workspace at once
        exactly one becomes its admin.
        """
        member = tables.members
        with self._read() as db:
            ws = self._workspace(db, workspace)
            if db.scalar(select(member.c.id).where(member.c.workspace_id == ws.id).limit(1)) is not None:
                return False
        with self._write() as db:
            ws = self._workspace(db, workspace)
            if db.scalar(select(member.c.id).where(member.c.workspace_id == ws.id).limit(1)) is not None:
                return False
            db.execute(insert(member).values(workspace_id=ws.id, user=user, role="admin", created_at=time.time()))
            return True

    def set_member(self, workspace: str, user: str, role: Role) -> Role | None:
        """Add ``user`` with ``role``, or change their role; returns the role they had before.

        Raises:
            UserError: ``role`` is not admin, editor or viewer.
            ConflictError: the change would leave the workspace without an admin.
        """
        if role not in ROLES:
            raise UserError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
        user = user.strip()
        if not user:
            raise UserError("a member needs a user name")
        member = tables.members
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = db.execute(
                select(member.c.id, member.c.role).where(member.c.workspace_id == ws.id, member.c.user == user)
            ).first()
            if row is None:
                db.execute(insert(member).values(workspace_id=ws.id, user=user, role=role, created_at=time.time()))
                return None
            before = _role(row.role)
            if before == "admin" and role != "admin":
                self._keep_an_admin(db, ws, user)
            db.execute(update(member).where(member.c.id == row.id).values(role=role))
            return before

    def remove_member(self, workspace: str, user: str) -> Role:
        """Remove ``user`` from ``workspace``; returns the role they had.

        Raises:
            NotFoundError: they are not a member.
            ConflictError: they are the last admin.
        """
        member = tables.members
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = db.execute(
                select(member.c.id, member.c.role).where(member.c.workspace_id == ws.id, member.c.user == user)
            ).first()
            if row is None:
                raise NotFoundError(f"{user!r} is not a member of workspace {workspace!r}")
            before = _role(row.role)
            if before == "admin":
                self._keep_an_admin(db, ws, user)
            db.execute(delete(member).where(member.c.id == row.id))
            return before

    def _keep_an_admin(self, db: SqlConnection, ws: Row[Any], leaving: str) -> None:
        member = tables.members
        others = db.scalar(
            select(func.count()).where(
                member.c.workspace_id == ws.id, member.c.role == "admin", member.c.user != leaving
            )
        )
        if not others:
            raise ConflictError(
                f"{leaving!r} is the last admin of workspace {ws.name!r}; a workspace keeps at least one admin",
                hint="make someone else admin first (flowdesk member add USER --role admin)",
            )

    # --- OAuth tokens --------------------------------------------------------------------------------

    def save_oauth_tokens(
        self,
        workspace: str,
        connection: str,
        *,
        access_token: str,
        refresh_token: str | None,
        expires_at: float | None,
        lifetime_s: float | None,
    ) -> None:
        """Seal new OAuth tokens of ``connection`` and clear its ``reauth_needed`` state, in one transaction.

        ``refresh_token=None`` keeps the stored one (a refresh answer may leave it out); a rotated refresh token
        replaces the old one in the same transaction as the access token, so a crash never keeps a pair that
        does not belong together.
        """
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, connection)
            data = dict(row.data)
            auth = dict(data.get("auth") or {})
            if auth.get("type") != "oauth2":
                raise UserError(f"connection {connection!r} does not use OAuth 2, so it has no tokens to keep")
            auth["expires_at"], auth["token_lifetime_s"] = expires_at, lifetime_s
            data["auth"] = auth
            db.execute(
                update(tables.connections).where(tables.connections.c.id == row.id).values(data=data, auth_state=None)
            )
            values = {"auth.access_token": access_token}
            if refresh_token:
                values["auth.refresh_token"] = refresh_token
            db.execute(
                delete(tables.secrets).where(
                    tables.secrets.c.connection_id == row.id, tables.secrets.c.field.in_(list(values))
                )
            )
            self._seal_secrets(db, ws, row.id, values)

    def clear_oauth_tokens(self, workspace: str, connection: str) -> bool:
        """Delete the OAuth tokens of ``connection`` (not its client secret) and mark it ``reauth_needed``;
        ``True`` when there were tokens."""
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, connection)
            deleted = db.execute(
                delete(tables.secrets).where(
                    tables.secrets.c.connection_id == row.id,
                    tables.secrets.c.field.in_(["auth.access_token", "auth.refresh_token"]),
                )
            )
            changes: dict[str, Any] = {"auth_state": "reauth_needed"}
            data = dict(row.data)
            auth = dict(data.get("auth") or {})
            if "expires_at" in auth or "token_lifetime_s" in auth:
                auth["expires_at"] = auth["token_lifetime_s"] = None
                data["auth"] = auth
                changes["data"] = data
            db.execute(update(tables.connections).where(tables.connections.c.id == row.id).values(**changes))
            return bool(deleted.rowcount)

    def set_auth_state(self, workspace: str, connection: str, state: str | None) -> None:
        """Mark ``connection`` ``reauth_needed`` (the provider refused its tokens) or clear the mark (``None``)."""
        with self._write() as db:
            ws = self._workspace(db, workspace)
            row = self._connection(db, ws, connection)
            db.execute(update(tables.connections).where(tables.connections.c.id == row.id).values(auth_state=state))

    # --- internals -----------------------------------------------------------------------------------

    def _workspace(self, db: SqlConnection, name: str) -> Row[Any]:
        row = db.execute(select(tables.workspaces).where(tables.workspaces.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"there is no workspace {name!r}", hint="flowdesk --workspace NAME creates one")
        return row

    def _connection(self, db: SqlConnection, ws: Row[Any], name: str) -> Row[Any]:
        row = db.execute(
            select(tables.connections).where(
                tables.connections.c.workspace_id == ws.id, tables.connections.c.name == name
            )
        ).first()
        if row is None:
            names = db.scalars(
                select(tables.connections.c.name)
                .where(tables.connections.c.workspace_id == ws.id)
                .order_by(tables.connections.c.name)
            ).all()
            raise NotFoundError(
                f"there is no connection {name!r} in workspace {ws.name!r} (connections: {', '.join(names) or 'none'})",
                hint="flowdesk connection list shows them; flowdesk connection add FILE adds one",
            )
        return row

    def _flow(self, db: SqlConnection, ws: Row[Any], name: str) -> Row[Any]:
        flow = tables.flows
        row = db.execute(select(flow).where(flow.c.workspace_id == ws.id, flow.c.name == name)).first()
        if row is None:
            names = db.scalars(select(flow.c.name).where(flow.c.workspace_id == ws.id)).all()
            raise NotFoundError(
                f"there is no flow {name!r} in workspace {ws.name!r} (flows: {', '.join(sorted(names)) or 'none'})",
                hint="flowdesk flow list shows them; flowdesk flow import FILE adds one",
            )
        return row

    def _check_one_per_service(
        self, db: SqlConnection, ws: Row[Any], connection: Connection, *, keep: int | None
    ) -> None:
        if not connection.is_preset:
            return
        other = db.scalars(
            select(tables.connections.c.name).where(
                tables.connections.c.workspace_id == ws.id,
                tables.connections.c.service == connection.service,
                tables.connections.c.id != (keep if keep is not None else -1),
            )
        ).first()
        if other is not None:
            raise ConflictError(
                f"Only one {connection.service} connection allowed per workspace",
                hint=f"workspace {ws.name!r} already has {other!r}: edit that one, or use another workspace",
            )

    def _write_connection(
        self, db: SqlConnection, ws: Row[Any], connection_id: int | None, connection: Connection, now: float
    ) -> None:
        """Insert ``connection`` (``connection_id=None``) or overwrite that row, with its entities and secrets."""
        from flowdesk.model import public_dict, secret_values

        data = public_dict(connection)
        data.pop("entities", None)
        fields = {"name": connection.name, "service": connection.service, "data": data, "updated_at": now}
        if connection_id is None:
            inserted = db.execute(insert(tables.connections).values(workspace_id=ws.id, created_at=now, **fields))
            connection_id = inserted.lastrowid  # part of each secret's associated data
        else:
            db.execute(update(tables.connections).where(tables.connections.c.id == connection_id).values(**fields))
        db.execute(delete(tables.entities).where(tables.entities.c.connection_id == connection_id))
        if connection.entities:
            db.execute(
                insert(tables.entities),
                [
                    {
                        "connection_id": connection_id,
                        "name": entity.name,
                        "position": position,
                        "data": entity.model_dump(mode="json", by_alias=True, exclude_none=True),
                    }
                    for position, entity in enumerate(connection.entities)
                ],
            )
        db.execute(delete(tables.secrets).where(tables.secrets.c.connection_id == connection_id))
        values = secret_values(connection)
        if values:
            self._seal_secrets(db, ws, connection_id, values)

    def _seal_secrets(self, db: SqlConnection, ws: Row[Any], connection_id: int, values: dict[str, str]) -> None:
        """Add one sealed row per secret of a connection (the caller removed the rows they replace)."""
        key = self._key(db, ws, create=True)
        assert key is not None
        rows = []
        for field, value in values.items():
            nonce, ciphertext = encrypt(key, value, associated_data(ws.uuid, connection_id, field))
            rows.append(
                {
                    "workspace_id": ws.id,
                    "owner_kind": "connection",
                    "connection_id": connection_id,
                    "field": field,
                    "nonce": nonce,
                    "ciphertext": ciphertext,
                }
            )
        db.execute(insert(tables.secrets), rows)

    def _key(self, db: SqlConnection, ws: Row[Any], *, create: bool) -> bytes | None:
        """The workspace's data key (cached); made, and its home recorded, on first need when ``create``."""
        cached = self._keys.get(ws.uuid)
        if cached is not None:
            return cached
        where: KeyStore | None = ws.key_store if ws.key_store in ("keyring", "vault") else None
        found = self._keychain.load(ws.uuid, where)
        if found is None:
            if not create:
                return None
            found = self._keychain.create(ws.uuid)
        key, home = found
        if ws.key_store != home:  # recorded in the caller's transaction
            db.execute(update(tables.workspaces).where(tables.workspaces.c.id == ws.id).values(key_store=home))
        self._keys[ws.uuid] = key
        return key

    @staticmethod
    def _touch_connection(db: SqlConnection, connection_id: int) -> None:
        db.execute(
            update(tables.connections).where(tables.connections.c.id == connection_id).values(updated_at=time.time())
        )

    @staticmethod
    def _last_calls(db: SqlConnection, workspace_id: int) -> dict[int, tuple[float, bool]]:
        api_call = tables.api_calls
        newest = (
            select(func.max(api_call.c.id))
            .where(api_call.c.workspace_id == workspace_id, api_call.c.connection_id.is_not(None))
            .group_by(api_call.c.connection_id)
        )
        rows = db.execute(
            select(api_call.c.connection_id, api_call.c.at, api_call.c.ok).where(api_call.c.id.in_(newest))
        )
        return {int(cid): (float(at), bool(ok)) for cid, at, ok in rows if cid is not None}


# --- helpers -------------------------------------------------------------------------------------------


def _translate(exc: SQLAlchemyError, db_path: Path) -> OperationalError:
    detail = str(getattr(exc, "orig", exc))
    if isinstance(exc, SqlOperationalError) and "locked" in detail:
        return OperationalError(
            f"{db_path} is busy (another flowdesk process holds a write lock); nothing was changed",
            hint="wait for the other command or window to finish, then try again",
        )
    return OperationalError(f"the store {db_path} failed: {detail}; nothing was changed")


def _workspace_info(row: Row[Any]) -> WorkspaceInfo:
    return WorkspaceInfo(name=row.name, uuid=row.uuid, created_at=row.created_at)


def _entities(db: SqlConnection, connection_id: int) -> Sequence[Row[Any]]:
    table = tables.entities
    return db.execute(select(table).where(table.c.connection_id == connection_id).order_by(table.c.position)).all()


def _status(row: Row[Any], last_call: tuple[float, bool] | None) -> ConnectionStatus:
    if row.auth_state == "reauth_needed":
        return "reauth_needed"
    tested = (row.last_tested_at, bool(row.last_test_ok)) if row.last_tested_at is not None else None
    newest = max((x for x in (tested, last_call) if x is not None), default=None, key=lambda x: x[0])
    if newest is None:
        return "untested"
    return "connected" if newest[1] else "failing"


def _role(value: str) -> Role:
    if value not in ROLES:
        raise OperationalError(f"the store holds an unknown role {value!r}; it was not written by this flowdesk")
    return value  # type: ignore[return-value]


def _call_record(row: Row[Any], connection: str) -> ApiCallRecord:
    return ApiCallRecord(
        at=row.at,
        connection=connection,
        method=row.method,
        url=row.url,
        status=row.status,
        duration_ms=row.duration_ms,
        attempt=row.attempt,
        ok=row.ok,
        error=row.error,
        entity=row.entity,
        run_id=row.run_id,
        node_id=row.node_id,
        user=row.user,
    )


def _run_info(row: Row[Any], workspace: str) -> RunInfo:
    return RunInfo(
        id=row.id,
        workspace=workspace,
        flow_name=row.flow_name,
        trigger=row.trigger,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        summary=dict(row.summary or {}),
    )


def _epoch(moment: datetime | float) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


def _process_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (``os.kill(pid, 0)`` would kill it on Windows)."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
