"""What the canvas needs from the workspace, behind one small object shared by every open flow.

It caches the connection → entities map (validation asks for it after every edit; the workspace reads the
store each time) and turns a missing workspace (a bare canvas in tests or the snapshot) into "no
connections" instead of an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flowdesk.model.errors import FlowdeskError

if TYPE_CHECKING:
    from flowdesk.engine import FlowRunner, RunResult
    from flowdesk.model.flow import Flow
    from flowdesk.workspace import Workspace


class CanvasServices:
    """The workspace as the canvas uses it (``workspace`` may be ``None``: nothing to run or save)."""

    def __init__(self, workspace: Workspace | None) -> None:
        self.workspace = workspace
        self._connections: dict[str, list[str]] | None = None
        self.connection_listeners: list[Callable[[], None]] = []
        self.flow_listeners: list[Callable[[], None]] = []

    def refresh(self) -> None:
        """Forget cached connections and entities (after a connection was added or edited)."""
        self._connections = None
        for listener in list(self.connection_listeners):
            listener()

    def connections(self) -> dict[str, list[str]]:
        """Connection name → entity names (empty without a workspace or permission to read them)."""
        if self._connections is None:
            found: dict[str, list[str]] = {}
            if self.workspace is not None:
                try:
                    for name, entities in self.workspace.connection_map().items():
                        found[name] = sorted(entities, key=str.casefold)
                except FlowdeskError:
                    found = {}
            self._connections = found
        return self._connections

    def connection_map(self) -> Mapping[str, list[str]] | None:
        """For validation: ``None`` (do not check connections) without a workspace."""
        return self.connections() if self.workspace is not None else None

    def save_flow(self, flow: Flow) -> None:
        if self.workspace is None:
            raise FlowdeskError("there is no workspace to save to")
        self.workspace.save_flow(flow)
        self.refresh_flows()

    def refresh_flows(self) -> None:
        """Tell whoever lists stored flows (the flows browser) that they changed."""
        for listener in list(self.flow_listeners):
            listener()

    async def run_flow(
        self,
        flow: Flow,
        *,
        on_event: Callable[[Any], None],
        on_start: Callable[[FlowRunner], None],
        variables: Mapping[str, Any] | None = None,
        start_at: str | None = None,
        start_inputs: Mapping[str, list[dict[str, Any]]] | None = None,
        capture_inputs: int = 0,
    ) -> RunResult:
        if self.workspace is None:
            raise FlowdeskError("there is no workspace to run in")
        return await self.workspace.run_flow(
            flow,
            variables=variables,
            on_event=on_event,
            on_start=on_start,
            start_at=start_at,
            start_inputs=start_inputs,
            capture_inputs=capture_inputs,
        )
