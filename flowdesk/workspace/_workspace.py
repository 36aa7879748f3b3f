"""The :class:`Workspace`: connections, entities, calls and usage of one workspace of the store."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import getpass
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowdesk.connections import UNSET
from flowdesk.model import ApiCallMade, Connection, Entity, public_dict, secret_values
from flowdesk.model.errors import NotFoundError, UserError
from flowdesk.store import (
    ConnectionInfo,
    ConnectionUsage,
    FlowInfo,
    RunDetail,
    RunInfo,
    RunNodeRecord,
    Store,
    WorkspaceInfo,
)
from flowdesk.workspace._access import requires
from flowdesk.workspace._calls import CallOutcome
from flowdesk.workspace._hooks import HookServices
from flowdesk.workspace._members import MemberServices
from flowdesk.workspace._oauth import AuthServices
from flowdesk.workspace._runs import RunProgress, current_run_id

if TYPE_CHECKING:  # HTTP, the engine, the flow model and discovery load on first use: many commands need none
    from flowdesk.connections import ConnectionClient, Page, RateLimiter, TestResult
    from flowdesk.discovery import DiscoveryResult
    from flowdesk.engine import FlowRunner, RunResult
    from flowdesk.model.contract import ContractChecker, ContractMismatch
    from flowdesk.model.flow import Flow

_FLUSH_EVERY = 500
_FLUSH_AFTER_S = 1.0
"""API-call events are written to the store in batches (every 500, or after a second): one transaction per call
would dominate a run, and a killed process loses at most the last second of its call history. Inside a running
event loop a batch is written by the history writer thread (one transaction per batch, in order), so the
loop goes on sending requests while SQLite commits."""


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def current_user() -> str:
    """The OS login, the default ``--user``."""
    try:
        return getpass.getuser()
    except Exception:  # getpass raises OSError or KeyError where no login name is known
        return "user"


class Workspace(HookServices, AuthServices, MemberServices):
    """One workspace of a store, with the HTTP clients of its connections.

    Create with :meth:`open`; close with :meth:`aclose` (async code) or :meth:`close`. Clients are made on
    first use, one per connection, and share a rate limiter per connection.

    Every method checks the acting ``user``'s role first (see :mod:`._access`): reading connection settings
    and using them needs ``editor``, changing them ``admin``; listing is open to all. A refusal raises
    :class:`~flowdesk.model.errors.NotPermittedError` before anything is done.
    """

    def __init__(self, store: Store, info: WorkspaceInfo, *, user: str) -> None:
        self.store = store
        self.info = info
        self.user = user
        self._clients: dict[str, ConnectionClient] = {}
        self._limiters: dict[str, RateLimiter] = {}
        self._pending: list[ApiCallMade] = []
        self._writer: concurrent.futures.ThreadPoolExecutor | None = None
        self._writes: list[concurrent.futures.Future[None]] = []
        self._stale: list[ConnectionClient] = []
        self._run_listeners: dict[str, Callable[[Any], None]] = {}
        self.event_listeners: list[Callable[[ApiCallMade], None]] = []

    @property
    def name(self) -> str:
        return self.info.name

    @classmethod
    def open(
        cls,
        data_dir: Path | None = None,
        name: str = "Default",
        *,
        user: str | None = None,
        master_password: Callable[[], str | None] | None = None,
    ) -> Workspace:
        """Open (creating on first use) the workspace ``name`` in ``data_dir`` (default: the user data dir)."""
        store = Store.open(data_dir, master_password=master_password)
        user = user or current_user()
        try:
            info = store.ensure_workspace(name)
            if store.claim_first_admin(info.name, user):  # the first member of a new workspace is its admin
                store.add_audit(info.name, user, "member.add", user, {"role": "admin", "first_member": True})
        except BaseException:
            store.close()
            raise
        return cls(store, info, user=user)

    # --- lifetime ------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close every client and write pending usage records."""
        clients = [*self._clients.values(), *self._stale]
        self._clients, self._stale = {}, []
        for client in clients:
            await client.aclose()
        self.flush()
        self.store.close()

    def close(self) -> None:
        """Synchronous close for code without a running loop (clients must already be closed)."""
        self.flush()
        self.store.close()

    def flush(self) -> None:
        """Write buffered API-call records to the store, and wait for the writer thread's batches: what was
        recorded before this call can be read after it.

        Raises:
            OperationalError: a batch could not be written (e.g. the disk is full); later batches still are.
        """
        writes, self._writes = self._writes, []
        failure: BaseException | None = None
        for write in writes:  # the writer thread's batches first: the calls stay in the order they were made
            failure = failure or write.exception()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        if self._pending:
            pending, self._pending = self._pending, []
            self._write(pending)
        if failure is not None:
            raise failure

    def _flush_in_background(self) -> None:
        """Hand the buffered records to the writer thread (started on first use) and go on."""
        pending, self._pending = self._pending, []
        if self._writer is None:
            self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="flowdesk-history")
        self._writes = [w for w in self._writes if not w.done() or w.exception() is not None]
        self._writes.append(self._writer.submit(self._write, pending))

    def _write(self, pending: list[ApiCallMade]) -> None:
        by_run: dict[str | None, list[ApiCallMade]] = {}
        for event in pending:
            by_run.setdefault(event.run_id, []).append(event)
        for run_id, events in by_run.items():
            self.store.record_api_calls(self.name, events, run_id=run_id, user=self.user)

    # --- connections ---------------------------------------------------------------------------------

    def list_connections(self) -> list[ConnectionInfo]:
        """Every connection with its status and usage; below the editor role the base URL is left out (a
        viewer sees connection names, not settings)."""
        infos = self.store.list_connections(self.name)
        if self.can("editor"):
            return infos
        return [dataclasses.replace(info, base_url="") for info in infos]

    @requires("editor", "reading connection settings")
    def get_connection(self, name: str, *, secrets: bool = True) -> Connection:
        """The connection ``name``; ``secrets=False`` leaves secret fields empty (no unlock needed)."""
        return self.store.get_connection(self.name, name, secrets=secrets)

    @requires("admin", "adding connections")
    def add_connection(self, connection: Connection, *, replace: bool = False) -> None:
        """Save a new connection (or replace one of the same name).

        Raises:
            ConflictError: the name is taken, or a preset service is already connected in this workspace.
        """
        self.store.add_connection(self.name, connection, replace=replace)
        self._forget_client(connection.name)
        self._audit("connection.add" if not replace else "connection.replace", connection.name)

    @requires("admin", "editing connections")
    def update_connection(self, old_name: str, connection: Connection) -> None:
        """Save edits to a connection (renaming it when the name changed)."""
        self.store.update_connection(self.name, old_name, connection)
        self._forget_client(old_name)
        self._forget_client(connection.name)
        detail = {"old_name": old_name} if old_name != connection.name else None
        self._audit("connection.update", connection.name, detail)

    @requires("admin", "removing connections")
    def remove_connection(self, name: str) -> None:
        self.store.remove_connection(self.name, name)
        self._forget_client(name)
        self._audit("connection.remove", name)

    @requires("editor", "reading or exporting connection settings")
    def export_connection(self, name: str) -> dict[str, Any]:
        """The connection as a file would hold it, without secrets: ``reenter_secrets`` lists what to fill in."""
        connection = self.get_connection(name)
        data = public_dict(connection)
        data["reenter_secrets"] = sorted(secret_values(connection))
        return data

    @requires("editor", "reading a connection's entities")
    def entities(self, connection: str) -> list[Entity]:
        return self.get_connection(connection, secrets=False).entities

    @requires("editor", "reading a connection's entities")
    def entity(self, connection: str, name: str) -> Entity:
        """The entity ``name`` of ``connection``; a path (``/customers``) gives an ad-hoc GET entity.

        Raises:
            NotFoundError: naming the entities the connection has.
        """
        conn = self.get_connection(connection, secrets=False)
        found = conn.entity(name)
        if found is not None:
            return found
        if name.startswith("/"):
            return Entity(name=name, method="GET", path=name)
        known = ", ".join(e.name for e in conn.entities) or "none yet"
        raise NotFoundError(
            f"connection {connection!r} has no entity {name!r} (entities: {known})",
            hint="run `flowdesk entity list CONNECTION`, or give a path starting with /",
        )

    @requires("admin", "changing entities")
    def set_entities(self, connection: str, entities: list[Entity], *, replace: bool = False) -> None:
        self.store.set_entities(self.name, connection, entities, replace=replace)
        self._forget_client(connection)
        self._audit("entity.set", connection, {"entities": [e.name for e in entities], "replace": replace})

    @requires("admin", "removing entities")
    def remove_entity(self, connection: str, entity: str) -> None:
        self.store.remove_entity(self.name, connection, entity)
        self._audit("entity.remove", f"{connection}/{entity}")

    @requires("viewer", "seeing a connection's usage")
    def usage(self, connection: str) -> ConnectionUsage:
        self.flush()
        return self.store.connection_usage(self.name, connection)

    # --- calling -------------------------------------------------------------------------------------

    @requires("editor", "using connections")
    def client(self, connection: str) -> ConnectionClient:
        """The pooled client of ``connection`` (made on first use)."""
        client = self._clients.get(connection)
        if client is None:
            from flowdesk.connections import ConnectionClient, RateLimiter

            conn = self.get_connection(connection)
            limiter = None
            if conn.rate_limit is not None:
                limiter = self._limiters.get(connection)
                if limiter is None:
                    limiter = RateLimiter(conn.rate_limit.requests, conn.rate_limit.per_s)
                    self._limiters[connection] = limiter
            client = ConnectionClient(
                conn, on_event=self._on_event, rate_limiter=limiter, **self._oauth_hooks(connection, conn)
            )
            self._clients[connection] = client
        return client

    @requires("editor", "testing connections")
    async def test_connection(self, connection: str, entity: str | None = None) -> TestResult:
        """Run the connection's test request and remember whether it worked."""
        target = self.entity(connection, entity) if entity else None
        result = await self.client(connection).test(target)
        self.store.record_test(self.name, connection, result.ok)
        return result

    @requires("editor", "calling connections")
    async def call_pages(
        self,
        connection: str,
        entity: str,
        *,
        params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = UNSET,
        all_pages: bool = False,
    ) -> AsyncIterator[Page]:
        """Call an entity and yield its pages as they arrive (one page unless ``all_pages``)."""
        from flowdesk.connections import Page

        target = self.entity(connection, entity)
        client = self.client(connection)
        if all_pages:
            async for page in client.pages(target, params=params, query=query, headers=headers, body=body):
                yield page
            return
        response = await client.send(target, params=params, query=query, headers=headers, body=body)
        yield Page(number=1, response=response, records=response.records(target.data_path))

    @requires("editor", "calling connections")
    async def call(
        self,
        connection: str,
        entity: str,
        *,
        params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = UNSET,
        all_pages: bool = False,
    ) -> CallOutcome:
        """Call an entity and gather its records (all pages when asked)."""
        outcome = CallOutcome()
        async for page in self.call_pages(
            connection, entity, params=params, query=query, headers=headers, body=body, all_pages=all_pages
        ):
            outcome.records.extend(page.records)
            outcome.pages += 1
            outcome.status = page.response.status
            outcome.elapsed_ms += page.response.elapsed_ms
            outcome.headers = dict(page.response.headers)
            outcome.body = page.response.body
        return outcome

    # --- discovery -----------------------------------------------------------------------------------

    @requires("editor", "discovering entities")
    async def discover(
        self,
        connection: str,
        *,
        openapi: str | None = None,
        odata: str | None = None,
        graphql: str | None = None,
        tags: Sequence[str] = (),
        replace: bool = False,
        dry_run: bool = False,
    ) -> DiscoveryResult:
        """Import endpoints as entities from one description (a file path or a URL fetched with the connection).

        Re-discovery is safe: the result's ``drift`` says what happened to each entity (see
        :func:`~flowdesk.discovery.plan_rediscovery`): new ones are added, ones the description changed are
        updated, ones the user edited since import and hand-made ones are kept (``skipped``), ones the
        description no longer has are kept (``removed_upstream``). ``replace`` makes the connection's
        entities exactly the discovered ones. With ``dry_run`` nothing is saved, and ``drift`` says what
        would happen. The description is read completely before anything is saved, so a malformed one
        changes nothing.

        Raises:
            UserError: no or several sources given, or a malformed document (naming where).
            NotFoundError: there is no such connection.
            OperationalError: the URL could not be fetched.
        """
        from flowdesk.workspace import _discovery as _disc

        given = [s for s in (openapi, odata, graphql) if s]
        if len(given) != 1:
            raise UserError("give exactly one of --openapi, --odata or --graphql")
        if openapi:
            if _disc.is_url(openapi):
                text = await self._fetch_text(connection, openapi)
                result = _disc.discover_openapi(text, source_name=openapi, tags=tags)
            else:
                result = _disc.openapi_from_file(openapi, tags)
        elif odata:
            if _disc.is_url(odata):
                text = await self._fetch_text(connection, _disc.odata_metadata_url(odata), accept="application/xml")
            else:
                text = _disc.read_local(odata)
            result = _disc.discover_odata(text, source_name=odata)
        else:
            assert graphql is not None
            if _disc.is_url(graphql):
                base = self.get_connection(connection, secrets=False).base_url
                endpoint = graphql[len(base) :] if graphql.startswith(base) else graphql
                client = self.client(connection)
                response = await client.send(
                    None, method="POST", path=graphql, body={"query": _disc.INTROSPECTION_QUERY}
                )
                if not isinstance(response.body, dict):
                    raise UserError(f"{graphql} did not answer the introspection query with JSON")
                result = _disc.discover_graphql(response.body, endpoint_path=endpoint, source_name=graphql)
            else:
                result = _disc.graphql_from_text(_disc.read_local(graphql), graphql, "")
        ref = _disc.description_ref(openapi or odata or graphql or "")
        result.stamp_origins(ref)
        stored = self.get_connection(connection, secrets=False).entities
        plan = _disc.plan_rediscovery(stored, result.entities, ref=ref, tags=tags, replace=replace)
        result.drift = plan.report
        if not dry_run and plan.modifies:
            # one transaction either way: the whole list when some entity goes, else only what changed
            if plan.removes:
                self.set_entities(connection, plan.entities, replace=True)
            else:
                self.set_entities(connection, plan.updates)
            plan.report.saved = True
        return result

    # --- contract checks -----------------------------------------------------------------------------

    def contract_checker(self, connection: str, entity: str) -> ContractChecker:
        """The compiled contract of an entity, to check many pages of its records.

        Raises:
            NotFoundError: no such connection or entity.
            InvalidConfigError: the entity's ``response_schema`` is not valid JSON Schema.
        """
        from flowdesk.model.contract import ContractChecker

        return ContractChecker(self.entity(connection, entity))

    def check_contract(self, connection: str, entity: str, records: Sequence[Any]) -> list[ContractMismatch]:
        """How ``records`` (as returned at the entity's data path) differ from the entity's contract.

        Each mismatch names the record, the field, what was expected and what came; an entity without a
        response schema or schema fields has no contract, and gives none.

        Raises:
            NotFoundError: no such connection or entity.
            InvalidConfigError: the entity's ``response_schema`` is not valid JSON Schema.
        """
        return self.contract_checker(connection, entity).check(records)

    async def _fetch_text(self, connection: str, url: str, *, accept: str | None = None) -> str:
        headers = {"Accept": accept} if accept else None
        response = await self.client(connection).send(None, method="GET", path=url, headers=headers)
        body = response.body
        if isinstance(body, str):
            return body
        return json.dumps(body)

    # --- flows and runs ------------------------------------------------------------------------------

    @requires("editor", "validating flows")
    def connection_map(self) -> dict[str, set[str]]:
        """Connection name → entity names, for validating what flows refer to."""
        return self.store.entity_names(self.name)

    @requires("editor", "validating flows")
    def validate_flow(self, data: Mapping[str, Any] | Flow) -> Flow:
        """Check a flow against the node types and this workspace's connections.

        Raises:
            InvalidConfigError: naming the node and field (or edge) that is wrong.
        """
        from flowdesk.model.flow import Flow, validate_flow

        return validate_flow(data if isinstance(data, Flow) else dict(data), connections=self.connection_map())

    @requires("editor", "saving flows")
    def save_flow(self, flow: Flow) -> None:
        """Store a valid flow under its name (replacing one of the same name)."""
        flow = self.validate_flow(flow)
        self.store.save_flow(self.name, flow.name, flow.model_dump(mode="json", by_alias=True))
        self._audit("flow.save", flow.name)

    def list_flows(self) -> list[FlowInfo]:
        return self.store.list_flows(self.name)

    @requires("viewer", "reading flows")
    def get_flow(self, name: str) -> Flow:
        """The stored flow ``name`` (validated only for its format: connections may have changed since)."""
        from flowdesk.model.flow import Flow

        return Flow.model_validate(self.store.get_flow(self.name, name))

    @requires("viewer", "exporting flows")
    def export_flow(self, name: str) -> dict[str, Any]:
        """The flow as its file holds it (flows never contain secrets)."""
        return self.get_flow(name).model_dump(mode="json", by_alias=True, exclude_none=True)

    @requires("editor", "removing flows")
    def remove_flow(self, name: str) -> None:
        self.store.remove_flow(self.name, name)
        self._audit("flow.remove", name)

    @requires("editor", "renaming flows")
    def rename_flow(self, old: str, new: str) -> None:
        self.store.rename_flow(self.name, old, new)
        self._audit("flow.rename", new, {"old_name": old})

    @requires("editor", "running flows")
    async def run_flow(
        self,
        flow: Flow,
        *,
        variables: Mapping[str, Any] | None = None,
        trigger: str = "manual",
        on_event: Callable[[Any], None] | None = None,
        on_start: Callable[[FlowRunner], None] | None = None,
        start_at: str | None = None,
        start_inputs: Mapping[str, list[dict[str, Any]]] | None = None,
        capture_inputs: int = 0,
    ) -> RunResult:
        """Validate and run ``flow``, recording the run (and its API calls) in the run history.

        ``on_event`` sees every run event, API calls included; ``on_start`` receives the runner (to cancel
        it). Cancelling the awaiting task cancels the run, which is recorded as ``cancelled``.
        ``capture_inputs`` keeps up to that many items per node input port on the result (see
        :class:`~flowdesk.engine.FlowRunner`).

        Raises:
            InvalidConfigError: the flow is invalid (nothing is run or recorded).
        """
        from flowdesk.engine import FlowRunner

        flow = self.validate_flow(flow)
        run_id = self.store.start_run(self.name, flow.name, trigger)
        progress = RunProgress()

        def observe(event: Any) -> None:
            progress.observe(event)
            if on_event is not None:
                on_event(event)

        runner = FlowRunner(
            flow,
            clients=self,
            variables=variables,
            on_event=observe,
            run_id=run_id,
            start_at=start_at,
            start_inputs=start_inputs,
            trigger=trigger,
            capture_inputs=capture_inputs,
        )
        if on_start is not None:
            on_start(runner)
        self._run_listeners[run_id] = observe
        token = current_run_id.set(run_id)
        status, error, result = "failed", None, None
        try:
            result = await runner.run()
            status, error = result.status, result.error
            return result
        except asyncio.CancelledError:
            status, error = "cancelled", "cancelled by the user"
            raise
        except Exception as exc:
            status, error = "failed", str(exc)
            raise
        finally:
            current_run_id.reset(token)
            self._run_listeners.pop(run_id, None)
            self.flush()
            self._record_run(run_id, status, error, progress, result)

    def list_runs(self, flow: str | None = None, limit: int = 50) -> list[RunInfo]:
        return self.store.list_runs(self.name, flow=flow, limit=limit)

    @requires("viewer", "reading runs")
    def get_run(self, run_id: str) -> RunDetail:
        return self.store.get_run(run_id)

    def _record_run(
        self, run_id: str, status: str, error: str | None, progress: RunProgress, result: RunResult | None
    ) -> None:
        nodes = [
            RunNodeRecord(
                node_id=n.node_id,
                items_in=n.items_in,
                items_out=n.items_out,
                errors=n.errors,
                duration_ms=n.duration_ms,
                sample=n.sample_out,
                error=n.error,
            )
            for n in progress.nodes.values()
        ]
        summary: dict[str, Any] = {
            "api_calls": progress.api_calls,
            "retries": progress.retries,
            "items": progress.items,
            "duration_ms": result.duration_ms if result is not None else None,
        }
        if progress.warnings_total:
            summary["warnings"] = progress.warnings
            summary["warnings_total"] = progress.warnings_total
        self.store.finish_run(run_id, status, error, summary, nodes)

    # --- internals -----------------------------------------------------------------------------------

    def _on_event(self, event: ApiCallMade) -> None:
        run_id = current_run_id.get()
        if run_id is not None:
            event.run_id = run_id
            run_listener = self._run_listeners.get(run_id)
            if run_listener is not None:
                run_listener(event)
        self._pending.append(event)
        for listener in self.event_listeners:
            listener(event)
        if len(self._pending) >= _FLUSH_EVERY or event.at - self._pending[0].at >= _FLUSH_AFTER_S:
            if _loop_running():
                self._flush_in_background()
            else:
                self.flush()

    def _forget_client(self, name: str) -> None:
        # Closing needs a running loop, which sync callers may not have: the old client is closed
        # with the others in aclose(). Connections are edited rarely, so the list stays short.
        client = self._clients.pop(name, None)
        if client is not None:
            self._stale.append(client)
        self._limiters.pop(name, None)

    def _audit(self, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        self.store.add_audit(self.name, self.user, action, target, detail)
