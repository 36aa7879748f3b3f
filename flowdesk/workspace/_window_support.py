"""What the window needs beyond :class:`Workspace`: the demo API, workspace names, flows using a connection.

Plain functions taking a :class:`Workspace`, so the window keeps talking only to this package.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flowdesk.model import parse_connection
from flowdesk.workspace._workspace import Workspace

if TYPE_CHECKING:  # the demo (aiohttp) loads on first use: CLI commands that never start it stay quick
    from flowdesk.demo import DemoServer

_demo_servers: weakref.WeakKeyDictionary[Workspace, DemoServer] = weakref.WeakKeyDictionary()


async def start_demo(ws: Workspace, *, auth: str = "api_key") -> str:
    """Start the bundled demo API on 127.0.0.1 (a free port) and add its connection, or point it at the new port.

    An existing demo connection keeps the user's edits (entities, headers …); only its base URL changes, since
    the port is new on every start. The server runs on the current event loop until :func:`stop_demo`.
    Returns the connection's name.

    Raises:
        OSError: the server could not bind a port.
    """
    from flowdesk.demo import DemoConfig, DemoServer, demo_connection_data

    await stop_demo(ws)
    server = DemoServer(DemoConfig(port=0))
    base_url = await server.start()
    _demo_servers[ws] = server
    connection = parse_connection(demo_connection_data(base_url, auth=auth), "the demo connection")
    existing = {info.name for info in ws.list_connections()}
    if connection.name in existing:
        current = ws.get_connection(connection.name)
        ws.update_connection(connection.name, current.model_copy(update={"base_url": connection.base_url}))
    else:
        ws.add_connection(connection)
    return connection.name


async def stop_demo(ws: Workspace) -> None:
    """Stop the demo API started for ``ws`` (nothing happens when none runs)."""
    server = _demo_servers.pop(ws, None)
    if server is not None:
        await server.stop()


def demo_connection_name() -> str:
    """The name the demo connection is saved under."""
    from flowdesk.demo import demo_connection_data

    return str(demo_connection_data("http://127.0.0.1:1")["name"])


def workspace_names(ws: Workspace) -> list[str]:
    """Every workspace of the store (the current one at least), sorted for a menu."""
    names = {info.name for info in ws.store.list_workspaces()} | {ws.name}
    return sorted(names, key=str.casefold)


def data_dir_of(ws: Workspace, given: Path | None = None) -> Path:
    """The data directory the workspace's store lives in (where the window keeps its own state file)."""
    return Path(given) if given is not None else ws.store.data_dir


@dataclass(frozen=True)
class NodeOverview:
    """One node of a stored flow, as the window lists it."""

    id: str
    type: str
    title: str
    connection: str | None
    entity: str | None


@dataclass(frozen=True)
class FlowOverview:
    """A stored flow for the window's Flows page: what it is, what it calls, how it last ran."""

    name: str
    description: str
    nodes: list[NodeOverview]
    last_run_status: str | None
    updated_at: float

    @property
    def connections(self) -> list[str]:
        """The connections the flow calls, each once, in node order."""
        return list(dict.fromkeys(n.connection for n in self.nodes if n.connection))


def flow_overviews(ws: Workspace) -> list[FlowOverview]:
    """Every stored flow of the workspace, read from the documents as saved.

    Not validated again, so a flow that no longer fits the current node types is still listed (and still
    counts as using its connections).
    """
    overviews: list[FlowOverview] = []
    for info in ws.list_flows():
        document = ws.store.get_flow(ws.name, info.name)
        nodes: list[NodeOverview] = []
        for node in document.get("nodes", []):
            if not isinstance(node, dict):
                continue
            config = node.get("config")
            connection = config.get("connection") if isinstance(config, dict) else None
            entity = config.get("entity") if isinstance(config, dict) else None
            nodes.append(
                NodeOverview(
                    id=str(node.get("id", "")),
                    type=str(node.get("type", "")),
                    title=str(node.get("title") or ""),
                    connection=connection if isinstance(connection, str) else None,
                    entity=entity if isinstance(entity, str) else None,
                )
            )
        description = document.get("description")
        overviews.append(
            FlowOverview(
                name=info.name,
                description=description if isinstance(description, str) else "",
                nodes=nodes,
                last_run_status=info.last_run_status,
                updated_at=info.updated_at,
            )
        )
    return overviews


def flows_using(ws: Workspace, connection: str) -> list[str]:
    """Names of the stored flows with a node that calls ``connection``."""
    return [flow.name for flow in flow_overviews(ws) if connection in flow.connections]


async def warm_up_http() -> None:
    """Load the HTTP stack and the shared TLS context now, once per process (~50 ms here).

    The window calls this right after it first shows, so the user's first test or request does not pay
    for it (benchmarks/ui_responsiveness.py counts that pause as a freeze otherwise).
    """
    from flowdesk.connections import ConnectionClient
    from flowdesk.model import Connection

    client = ConnectionClient(Connection(name="warm-up", base_url="https://127.0.0.1"))
    await client.aclose()
