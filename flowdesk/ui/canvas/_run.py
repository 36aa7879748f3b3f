"""Running the edited flow from its tab (F5 / Run, Shift+F5 / Stop, "Run from here").

The run is a task on the window's qasync loop; the engine's events arrive on that loop and only update a
:class:`RunState` (counters and a few sample items). The canvas, the progress bar and the details panel
are repainted from it on timers, so a run emitting thousands of events a second costs the window a few
repaints a second, and the window stays responsive.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from flowdesk.model.errors import FlowdeskError
from flowdesk.ui.canvas._document import Change
from flowdesk.ui.canvas._run_state import NodeRunState, RunState

if TYPE_CHECKING:
    from flowdesk.engine import FlowRunner, RunResult
    from flowdesk.ui.canvas._editor import FlowEditor

PROGRESS_MS = 150
INPUT_CAP = 10_000
"""Items kept per node input port of a canvas run, for "Run from here" (the run events carry only samples)."""


class RunController(QObject):
    """Starts, watches and stops runs of one editor's flow; keeps the last run for "Run from here"."""

    progress = Signal(int, int)  # nodes finished, nodes in the run
    running_changed = Signal(bool)
    updated = Signal()  # the run state changed (throttled)
    finished = Signal(str)  # status

    def __init__(self, editor: FlowEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.state: RunState | None = None
        self.last_live: RunState | None = None
        self.runner: FlowRunner | None = None
        self.task: asyncio.Task[Any] | None = None
        self.result: RunResult | None = None
        # every input item (up to INPUT_CAP per port) of the latest run of each node, for "Run from here"
        self.captured: dict[str, dict[str, list[Any]]] = {}
        self.capped: set[str] = set()
        self._active = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PROGRESS_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def running(self) -> bool:
        """From the start of a run until it has finished (its task may still be unwinding after that)."""
        return self._active

    # --- starting and stopping ----------------------------------------------------------------------

    def start(self) -> bool:
        """F5: run the whole flow. Refused (with the reason in the status bar) while invalid or running."""
        return self._start(None, None)

    def start_from_selected(self) -> bool:
        item = self.editor.selected_node()
        if item is None:
            self.editor.message.emit("Select the node to run from")
            return False
        return self.start_from(item.node_id)

    def start_from(self, node_id: str) -> bool:
        """Run ``node_id`` and what follows, fed with the items that reached it in the last run."""
        last = self.last_live
        flow = self.editor.document.flow
        node = flow.node(node_id)
        inputs: dict[str, list[Any]] = {}
        note = ""
        if node.type != "trigger" and any(self.captured.get(node_id, {}).values()):
            inputs = {port: list(items) for port, items in self.captured[node_id].items() if items}
            capped = sorted(p for p in inputs if f"{node_id}.{p}" in self.capped)
            if capped:
                note = f" with only the first {INPUT_CAP:,} items of {', '.join(capped)} (more reached it last time)"
        elif node.type != "trigger":
            if last is None:
                self.editor.message.emit("Run the flow once first: Run from here reuses the inputs of the last run")
                return False
            edges = [(e.source_node, e.source_port, e.target_node, e.target_port) for e in flow.edges]
            inputs = last.inputs_of(node_id, edges)
            if not any(inputs.values()):
                self.editor.message.emit(f"No items reached {node_id!r} in the last run: nothing to run it with")
                return False
        return self._start(node_id, inputs or None, note)

    def _start(self, start_at: str | None, start_inputs: dict[str, list[Any]] | None, note: str = "") -> bool:
        editor = self.editor
        if self.running:
            editor.message.emit("The flow is already running (Shift+F5 stops it)")
            return False
        if editor.services.workspace is None:
            editor.message.emit("No workspace: this flow cannot run here")
            return False
        editor.scene.validate()
        problems = editor.scene.problems
        if problems:
            count = len(problems)
            first = problems[0]
            where = f" ({first.node_id})" if first.node_id else ""
            editor.message.emit(
                f"Not run: {count} problem{'s' if count != 1 else ''} to fix first (marked red){where}: {first.message}"
            )
            return False
        flow = editor.document.flow.model_copy(deep=True)
        node_ids = [n.id for n in flow.nodes]
        state = RunState(node_ids)
        if start_at is not None and self.last_live is not None:
            downstream = _downstream(flow, start_at)
            for node_id in node_ids:  # what runs again starts fresh; the rest keeps the last run's look
                if node_id not in downstream and node_id in self.last_live.nodes:
                    state.nodes[node_id] = _copy_node(self.last_live.nodes[node_id])
        self.state = state
        self.result = None
        editor.scene.set_run_state(state)
        self._active = True
        self.task = editor.keeper.start(self._run(flow, state, start_at, start_inputs), name=f"run {flow.name}")
        self.running_changed.emit(True)
        self._emit_progress()
        what = f"from {start_at!r}" if start_at else ""
        editor.message.emit(f"Running {flow.name!r} {what}{note}… (Shift+F5 stops)".replace("  ", " "))
        return True

    def stop(self) -> None:
        """Shift+F5: cancel the run (recorded as cancelled)."""
        if self.runner is not None and self.running:
            self.runner.cancel()  # the engine stops its nodes and reports the run as cancelled
        elif self.task is not None and not self.task.done():
            self.task.cancel()

    async def _run(
        self, flow: Any, state: RunState, start_at: str | None, start_inputs: dict[str, list[Any]] | None
    ) -> None:
        def on_event(event: Any) -> None:
            changed = state.observe(event)
            if changed:
                self.editor.scene.run_changed(changed)
            if not self._timer.isActive():
                self._timer.start()

        def on_start(runner: FlowRunner) -> None:
            self.runner = runner

        status, error = "failed", None
        try:
            result = await self.editor.services.run_flow(
                flow,
                on_event=on_event,
                on_start=on_start,
                start_at=start_at,
                start_inputs=start_inputs,
                capture_inputs=INPUT_CAP,
            )
            self.result = result
            self._keep_inputs(result)
            state.run_id = result.run_id
            status, error = result.status, result.error
            state.finish(result.status, result.error, result.duration_ms)
        except asyncio.CancelledError:
            status, error = "cancelled", "cancelled by the user"
            state.finish("cancelled", error)
            raise
        except FlowdeskError as exc:
            status, error = "failed", str(exc)
            state.finish("failed", error)
        finally:
            self.runner = None
            self._finished(state, status, error)

    def _keep_inputs(self, result: RunResult) -> None:
        """The nodes of this run now have these inputs; the others keep those of the run that last ran them."""
        for node_id in result.counts:
            self.captured[node_id] = result.inputs.get(node_id, {})
            self.capped = {key for key in self.capped if key.split(".", 1)[0] != node_id}
        self.capped |= result.inputs_capped

    def _finished(self, state: RunState, status: str, error: str | None) -> None:
        editor = self.editor
        self._active = False
        self.last_live = state
        if editor.scene.run_state is state:
            editor.scene.run_changed(state.nodes, now=True)
        self._tick()
        self.running_changed.emit(False)
        seconds = (state.duration_ms or 0) / 1000
        if status == "succeeded":
            editor.message.emit(
                f"Run succeeded in {seconds:,.2f} s: {state.items:,} items, {state.api_calls:,} API calls"
            )
        elif status == "cancelled":
            editor.message.emit("Run stopped")
        else:
            editor.message.emit(f"Run failed: {(error or 'see the node marked red').splitlines()[0]}")
        self.finished.emit(status)

    # --- progress -----------------------------------------------------------------------------------

    def _tick(self) -> None:
        self._emit_progress()
        self.updated.emit()

    def _emit_progress(self) -> None:
        state = self.state
        if state is None:
            return
        self.progress.emit(state.nodes_done, len(state.nodes))

    def show_state(self, state: RunState | None) -> None:
        """Colour the canvas by ``state`` (a recorded run from the history, or ``None`` to clear)."""
        if self.running:
            self.editor.message.emit("Wait for the run to finish (or stop it) before opening another")
            return
        self.state = state
        self.editor.scene.set_run_state(state)
        self.updated.emit()

    def document_changed(self, change: Change) -> None:
        """Nodes added while a run is shown get an empty state; renamed ones keep theirs."""
        state = self.state
        if state is None:
            return
        if change.kind == "node_renamed" and change.old_id is not None and change.node_id is not None:
            if change.old_id in self.captured:
                self.captured[change.node_id] = self.captured.pop(change.old_id)
                prefix = f"{change.old_id}."
                self.capped = {
                    f"{change.node_id}.{key[len(prefix):]}" if key.startswith(prefix) else key for key in self.capped
                }
            moved = state.nodes.pop(change.old_id, None)
            if moved is not None:
                moved.node_id = change.node_id
                state.nodes[change.node_id] = moved


def _downstream(flow: Any, start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(e.target_node for e in flow.edges if e.source_node == current)
    return seen


def _copy_node(node: NodeRunState) -> NodeRunState:
    return NodeRunState(
        node_id=node.node_id,
        state=node.state,
        items_in=node.items_in,
        items_out=node.items_out,
        errors=node.errors,
        duration_ms=node.duration_ms,
        error=node.error,
        failed_item=node.failed_item,
        samples={k: list(v) for k, v in node.samples.items()},
        port_counts=dict(node.port_counts),
        calls=list(node.calls),
        call_count=node.call_count,
    )
