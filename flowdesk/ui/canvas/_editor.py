"""One flow tab: palette | canvas | inspector, with run details and run history below the canvas.

The editor owns the flow's :class:`FlowDocument` and its undo stack; everything the user does here becomes
an undo command (see ``_commands.py``). Canvas keys are taken before the window's shortcuts see them
(``ShortcutOverride``), so F5 runs the flow and Ctrl+1 zooms to 100 % while the canvas has the focus,
and mean the window's Refresh and Connections page elsewhere.
"""

from __future__ import annotations

import contextlib
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QIcon, QKeyEvent, QKeySequence, QShowEvent, QUndoStack
from PySide6.QtWidgets import (
    QLabel,
    QMenu,
    QSplitter,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.flow import Flow
from flowdesk.model.nodes import NODE_SPECS
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui.canvas._clipboard import get_fragment, put_fragment
from flowdesk.ui.canvas._commands import (
    AddNodeCommand,
    ConnectCommand,
    MoveNodesCommand,
    PasteCommand,
    RemoveCommand,
)
from flowdesk.ui.canvas._document import Change, FlowDocument, fragment
from flowdesk.ui.canvas._history import RunHistoryPanel
from flowdesk.ui.canvas._inspector import Inspector
from flowdesk.ui.canvas._items import NodeItem
from flowdesk.ui.canvas._layout import AlignMode, align, auto_layout
from flowdesk.ui.canvas._minimap import Minimap
from flowdesk.ui.canvas._palette import NodePalette
from flowdesk.ui.canvas._quick_add import QuickAddPopup
from flowdesk.ui.canvas._recovery import RecoveryStore
from flowdesk.ui.canvas._run import RunController
from flowdesk.ui.canvas._run_panel import NodeRunPanel
from flowdesk.ui.canvas._scene import FlowScene
from flowdesk.ui.canvas._services import CanvasServices
from flowdesk.ui.canvas._theme import NODE_WIDTH, snap, type_icon
from flowdesk.ui.canvas._view import FlowView
from flowdesk.ui.resources import icon
from flowdesk.ui.style import is_dark

PASTE_STEP = 40.0


def _keys(*sequences: str) -> list[QKeySequence]:
    return [QKeySequence(s) for s in sequences]


def _matches(event: QKeyEvent, sequences: list[QKeySequence]) -> bool:
    pressed = QKeySequence(event.keyCombination())
    return any(pressed.matches(s) == QKeySequence.SequenceMatch.ExactMatch for s in sequences)


class FlowEditor(QWidget):
    """The editor of one flow. ``message`` goes to the status bar; ``dirty_changed`` marks the tab."""

    message = Signal(str)
    dirty_changed = Signal(bool)
    title_changed = Signal(str)
    saved = Signal(str)

    UNDO = _keys("Ctrl+Z")
    REDO = _keys("Ctrl+Shift+Z", "Ctrl+Y")
    SAVE = _keys("Ctrl+S")
    RUN = _keys("F5")
    STOP = _keys("Shift+F5")
    CANVAS_KEYS: dict[str, list[QKeySequence]] = {  # noqa: RUF012 (read-only table)
        "delete": _keys("Delete", "Backspace"),
        "copy": _keys("Ctrl+C"),
        "cut": _keys("Ctrl+X"),
        "paste": _keys("Ctrl+V"),
        "duplicate": _keys("Ctrl+D"),
        "select_all": _keys("Ctrl+A"),
        "zoom_fit": _keys("Ctrl+0"),
        "zoom_100": _keys("Ctrl+1"),
        "zoom_in": _keys("Ctrl++", "Ctrl+="),
        "zoom_out": _keys("Ctrl+-"),
        "escape": _keys("Escape"),
    }

    def __init__(
        self,
        document: FlowDocument,
        services: CanvasServices,
        keeper: TaskKeeper,
        *,
        recovery: RecoveryStore | None = None,
        recovery_key: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.services = services
        self.keeper = keeper
        self.recovery = recovery
        self.recovery_key = recovery_key or RecoveryStore.new_key()
        self.undo_stack = QUndoStack(self)
        self._paste_count = 0
        self.unsaved = document.stored_name is None
        """Changes not on the undo stack differ from what is stored (a recovered or imported draft)."""
        self._last_dirty = self.unsaved
        self.quick_add = QuickAddPopup(self)
        self.quick_add.chosen.connect(self._quick_chosen)
        self._quick_context: tuple[QPointF, str | None, bool] | None = None

        self.scene = FlowScene(
            document, self.undo_stack, connections=services.connection_map, dark=is_dark(), parent=self
        )
        self.view = FlowView(self.scene, self)
        self.view.key_handler = self._canvas_key_pressed
        self.node_palette = NodePalette(self)
        self.node_palette.drop_target = self.view
        self.inspector = Inspector(self, self)
        self.minimap = Minimap(self.view)
        self.run = RunController(self)
        self.details = NodeRunPanel(self)
        self.history = RunHistoryPanel(self)

        self._build_actions()
        self._build_layout()

        self.scene.hint.connect(self.message.emit)
        self.scene.quick_add_requested.connect(self._wire_dropped_on_canvas)
        self.scene.node_double_clicked.connect(lambda _node_id: self.inspector.focus_first_field())
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.problems_changed.connect(self.inspector.show_problems)
        self.view.quick_add_requested.connect(lambda pos: self.open_quick_add(pos))
        self.view.node_dropped.connect(self._node_dropped)
        self.view.zoom_changed.connect(self._zoom_changed)
        self.node_palette.activated.connect(self._palette_activated)
        self.node_palette.status.connect(self.message.emit)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.run.running_changed.connect(self._running_changed)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._scheme_changed)
        document.subscribe(self._document_changed)
        self.services.connection_listeners.append(self.refresh_connections)
        self.refresh_connections(validate=False)  # the scene validated the flow as it built it
        self._fitted = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted:  # the first time the tab is shown, frame the whole flow
            self._fitted = True
            layout = self.layout()
            if layout is not None:
                layout.activate()
            self.center.refresh()
            self.view.zoom_fit()

    # --- building -----------------------------------------------------------------------------------

    def _action(self, text: str, slot: Any, tip: str, keys: str = "", icon_name: str | None = None) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        self.save_action = self._action("Save", self.save, "Save the flow to the workspace", "Ctrl+S", "action-save")
        # own actions rather than QUndoStack's, whose text grows with each command's ("Undo Set expression …")
        self.undo_action = self._action("Undo", self.undo_stack.undo, "Undo", "Ctrl+Z")
        self.redo_action = self._action("Redo", self.undo_stack.redo, "Redo", "Ctrl+Shift+Z")
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        self.undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        self.undo_stack.undoTextChanged.connect(
            lambda text: self.undo_action.setToolTip(f"Undo {text} (Ctrl+Z)" if text else "Undo (Ctrl+Z)")
        )
        self.undo_stack.redoTextChanged.connect(
            lambda text: self.redo_action.setToolTip(f"Redo {text} (Ctrl+Shift+Z)" if text else "Redo (Ctrl+Shift+Z)")
        )
        self.run_action = self._action("Run", self.run.start, "Run the flow", "F5", "action-send")
        self.run_from_action = self._action(
            "Run from here",
            self.run.start_from_selected,
            "Run the selected node and what follows, with its last inputs",
        )
        self.stop_action = self._action("Stop", self.run.stop, "Stop the run", "Shift+F5")
        self.stop_action.setEnabled(False)
        self.fit_action = self._action("Fit", self.view.zoom_fit, "Show the whole flow", "Ctrl+0")
        self.zoom_100_action = self._action("100%", self.view.zoom_100, "Actual size", "Ctrl+1")
        self.layout_action = self._action("Auto layout", self.auto_layout, "Arrange the nodes left to right")
        self.snap_action = QAction("Snap", self)
        self.snap_action.setCheckable(True)
        self.snap_action.setChecked(True)
        self.snap_action.setToolTip("Snap nodes to the grid")
        self.snap_action.toggled.connect(self._set_snap)
        self.minimap_action = QAction("Minimap", self)
        self.minimap_action.setCheckable(True)
        self.minimap_action.setChecked(True)
        self.minimap_action.setToolTip("Show a minimap while part of the flow is out of view")
        self.minimap_action.toggled.connect(self.minimap.set_enabled)
        self.align_menu = QMenu("Align", self)
        for label, mode in (
            ("Align left", "left"),
            ("Align right", "right"),
            ("Align top", "top"),
            ("Align bottom", "bottom"),
            ("Align middles (one row)", "hcenter"),
            ("Align centres (one column)", "vcenter"),
            ("Spread horizontally", "hspread"),
            ("Spread vertically", "vspread"),
        ):
            action = self.align_menu.addAction(label)
            action.triggered.connect(lambda _checked=False, m=mode: self.align(m))

    def _build_layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        bar = QToolBar(self)
        bar.setIconSize(QSize(16, 16))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addAction(self.save_action)
        bar.addSeparator()
        bar.addAction(self.undo_action)
        bar.addAction(self.redo_action)
        bar.addSeparator()
        bar.addAction(self.run_action)
        bar.addAction(self.run_from_action)
        bar.addAction(self.stop_action)
        bar.addSeparator()
        bar.addAction(self.fit_action)
        bar.addAction(self.zoom_100_action)
        align_button = QToolButton(bar)
        align_button.setText("Align")
        align_button.setMenu(self.align_menu)
        align_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        align_button.setToolTip("Align or spread the selected nodes")
        bar.addWidget(align_button)
        bar.addAction(self.layout_action)
        bar.addAction(self.snap_action)
        bar.addAction(self.minimap_action)
        spacer = QWidget(bar)
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding, spacer.sizePolicy().verticalPolicy())
        bar.addWidget(spacer)
        self.zoom_label = QLabel("100%", bar)
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.zoom_label)
        self.toolbar = bar
        layout.addWidget(bar)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.node_palette)
        self.center = QSplitter(Qt.Orientation.Vertical, self.splitter)
        self.center.setChildrenCollapsible(True)
        self.center.addWidget(self.view)
        self.bottom_tabs = QTabWidget(self.center)
        self.bottom_tabs.setDocumentMode(True)
        self.bottom_tabs.addTab(self.details, "Node output")
        self.bottom_tabs.addTab(self.history, "Run history")
        self.center.addWidget(self.bottom_tabs)
        self.center.setStretchFactor(0, 4)
        self.center.setStretchFactor(1, 1)
        self.center.setSizes([520, 180])
        self.splitter.addWidget(self.center)
        self.splitter.addWidget(self.inspector)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([180, 780, 300])
        layout.addWidget(self.splitter, 1)

    # --- state --------------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.document.name

    @property
    def dirty(self) -> bool:
        """Unsaved changes: an edit since the last save (undoing back to it is clean again), or a draft."""
        return self.unsaved or not self.undo_stack.isClean()

    def mark_unsaved(self) -> None:
        """The flow differs from what is stored although nothing was edited here (recovered, imported)."""
        self.unsaved = True
        self._autosave()
        self._check_dirty()

    def mark_clean(self) -> None:
        self.unsaved = False
        self.undo_stack.setClean()
        self._check_dirty()

    def refresh_connections(self, validate: bool = True) -> None:
        """Connections or entities changed: the palette's entities, the inspector's pickers, validation."""
        self.node_palette.set_entities(self.services.connections() if self.services.workspace is not None else {})
        self.inspector.refresh()
        if validate:
            self.scene.validate()

    def _document_changed(self, change: Change) -> None:
        if change.kind == "flow_changed":
            self.title_changed.emit(self.document.name)
        self._check_dirty()
        if self.dirty:
            self._autosave()
        self.inspector.document_changed(change)
        self.run.document_changed(change)

    def _clean_changed(self, _clean: bool) -> None:
        if shiboken6.isValid(self.undo_stack):  # the stack also says so while it is being destroyed
            if self.dirty:
                self._autosave()  # the first edit after a save: the command ran before the stack moved on
            self._check_dirty()

    def _check_dirty(self) -> None:
        dirty = self.dirty
        if dirty != self._last_dirty:
            self._last_dirty = dirty
            if not dirty:
                self.discard_recovery()  # back to what is stored: nothing to recover
            self.dirty_changed.emit(dirty)

    def _autosave(self) -> None:
        if self.recovery is None:
            return
        try:
            self.recovery.save(self.recovery_key, self.document.to_file(), self.document.stored_name)
        except OSError as exc:
            self.message.emit(f"Autosave failed: {exc}")

    def discard_recovery(self) -> None:
        if self.recovery is not None:
            self.recovery.discard(self.recovery_key)

    def save(self) -> bool:
        """Save to the workspace (Ctrl+S). A flow that would not run is not saved: its problems are shown."""
        from flowdesk.model.errors import FlowdeskError, InvalidConfigError

        self.scene.validate()
        flow = self.document.flow
        try:
            old = self.document.stored_name
            self.services.save_flow(flow)
            if old is not None and old != flow.name and self.services.workspace is not None:
                self.services.workspace.remove_flow(old)
                self.services.refresh_flows()
        except InvalidConfigError as exc:
            count = len(exc.problems)
            first = exc.problems[0][1] if exc.problems else str(exc)
            self.message.emit(
                f"Not saved: {count} problem{'s' if count != 1 else ''} to fix first (marked red): {first}"
            )
            return False
        except FlowdeskError as exc:
            self.message.emit(f"Not saved: {exc}")
            return False
        self.document.mark_saved(flow.name)
        self.mark_clean()
        self.discard_recovery()
        self.message.emit(f"Saved flow {flow.name!r}")
        self.saved.emit(flow.name)
        return True

    def close_editor(self) -> None:
        """The tab is going away: stop its run and listeners (the recovery file stays if unsaved)."""
        self.run.stop()
        self.scene.detach()
        self.document.unsubscribe(self._document_changed)
        if self.refresh_connections in self.services.connection_listeners:
            self.services.connection_listeners.remove(self.refresh_connections)
        self.quick_add.close()
        with contextlib.suppress(RuntimeError, TypeError):  # already gone
            QGuiApplication.styleHints().colorSchemeChanged.disconnect(self._scheme_changed)

    # --- keys ---------------------------------------------------------------------------------------

    def _canvas_key(self, event: QKeyEvent) -> str | None:
        for name, sequences in self.CANVAS_KEYS.items():
            if _matches(event, sequences):
                return name
        return None

    def _canvas_key_pressed(self, event: QKeyEvent, *, override: bool) -> bool:
        """The view asks whether a key is a canvas command (``override``), then has it run."""
        key = self._canvas_key(event)
        if key is None:
            return False
        if not override:
            self._canvas_command(key)
        return True

    def _editor_key(self, event: QKeyEvent) -> str | None:
        for name, sequences in (
            ("undo", self.UNDO),
            ("redo", self.REDO),
            ("save", self.SAVE),
            ("run", self.RUN),
            ("stop", self.STOP),
        ):
            if _matches(event, sequences):
                return name
        return None

    def event(self, event: QEvent) -> bool:
        is_override = event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
        if is_override and self._editor_key(event) is not None:  # type: ignore[arg-type]
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = self._editor_key(event)
        if key == "undo":
            self.undo_stack.undo()
        elif key == "redo":
            self.undo_stack.redo()
        elif key == "save":
            self.save()
        elif key == "run":
            self.run.start()
        elif key == "stop":
            self.run.stop()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _canvas_command(self, key: str) -> None:
        if key == "delete":
            self.delete_selection()
        elif key == "copy":
            self.copy_selection()
        elif key == "cut":
            self.cut_selection()
        elif key == "paste":
            self.paste()
        elif key == "duplicate":
            self.duplicate_selection()
        elif key == "select_all":
            for item in self.scene.nodes.values():
                item.setSelected(True)
        elif key == "zoom_fit":
            self.view.zoom_fit()
        elif key == "zoom_100":
            self.view.zoom_100()
        elif key == "zoom_in":
            self.view.zoom_by(1)
        elif key == "zoom_out":
            self.view.zoom_by(-1)
        elif key == "escape":
            if self.scene.dragging_wire:
                self.scene.cancel_wire_drag()
            else:
                self.scene.clearSelection()

    # --- adding nodes -------------------------------------------------------------------------------

    def add_node(
        self,
        node_type: str,
        scene_pos: QPointF,
        *,
        config: dict[str, Any] | None = None,
        title: str | None = None,
        centered: bool = True,
    ) -> str | None:
        """Add a node with its header under ``scene_pos`` (one undo step); returns its id."""
        top_left = self.scene.drop_position(scene_pos) if centered else scene_pos
        command = AddNodeCommand(
            self.document,
            node_type,
            (top_left.x(), top_left.y()),
            config=config,
            title=title,
            on_error=self.message.emit,
        )
        self.undo_stack.push(command)
        if command.error is not None or command.node_id is None:
            return None
        self.scene.select_nodes([command.node_id])
        spec = NODE_SPECS.get(node_type)
        self.message.emit(f"Added {spec.title if spec else node_type} {command.node_id!r}")
        return command.node_id

    def _node_dropped(self, payload: dict[str, Any], scene_pos: QPointF) -> str | None:
        node_id = self.add_node(
            str(payload["type"]),
            scene_pos,
            config=payload.get("config") if isinstance(payload.get("config"), dict) else None,
            title=payload.get("title") if isinstance(payload.get("title"), str) else None,
        )
        self.view.setFocus()
        return node_id

    def _palette_activated(self, payload: dict[str, Any]) -> None:
        self.add_in_view(payload)

    def add_in_view(self, payload: dict[str, Any]) -> str | None:
        """Add the node ``payload`` describes (a drag payload) in the middle of what the view shows."""
        center = self.view.visible_scene_rect().center()
        offset = 20.0 * (self._paste_count % 6)
        self._paste_count += 1
        return self._node_dropped(payload, center + QPointF(offset, offset))

    def node_choices(self, endpoint: str | None = None, from_output: bool = True) -> list[dict[str, Any]]:
        """Node types for the quick-add popup; with a dragged wire, only those with a port that fits."""
        choices: list[dict[str, Any]] = []
        kind = "items"
        if endpoint is not None:
            node_id, port = endpoint.split(".", 1)
            item = self.scene.nodes.get(node_id)
            found = item.port(port, output=from_output) if item is not None else None
            if found is not None:
                kind = found.spec.kind
        for spec in NODE_SPECS.values():
            if endpoint is not None:
                if from_output and not any(kind in p.accepts for p in spec.inputs):
                    continue
                if not from_output and not spec.outputs:
                    continue
            choices.append({"type": spec.type, "label": spec.title, "detail": spec.description})
        if endpoint is None or from_output:
            for connection, entities in sorted(self.services.connections().items()):
                for entity in entities:
                    choices.append(
                        {
                            "type": "api_call",
                            "label": f"{entity}",
                            "detail": f"API call on {connection}",
                            "title": entity.replace("_", " ").capitalize(),
                            "config": {"connection": connection, "entity": entity},
                        }
                    )
        return choices

    def open_quick_add(self, scene_pos: QPointF, endpoint: str | None = None, from_output: bool = True) -> None:
        """The quick-add popup at ``scene_pos`` (Tab, a double-click, or a wire dropped on nothing)."""
        self._quick_context = (scene_pos, endpoint, from_output)
        heading = "Add a node"
        if endpoint is not None:
            heading = f"Add a node after {endpoint}" if from_output else f"Add a node before {endpoint}"
        global_pos = self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos))
        self.quick_add.open_at(global_pos, self.node_choices(endpoint, from_output), heading)

    def _wire_dropped_on_canvas(self, scene_pos: QPointF, endpoint: str, from_output: bool) -> None:
        self.open_quick_add(scene_pos, endpoint, from_output)

    def _quick_chosen(self, payload: dict[str, Any]) -> None:
        if self._quick_context is None:
            return
        scene_pos, endpoint, from_output = self._quick_context
        self._quick_context = None
        node_type = str(payload["type"])
        config = payload.get("config") if isinstance(payload.get("config"), dict) else None
        title = payload.get("title") if isinstance(payload.get("title"), str) else None
        if endpoint is None:
            self.add_node(node_type, scene_pos, config=config, title=title)
            self.view.setFocus()
            return
        spec = NODE_SPECS[node_type]
        if from_output:  # the new node sits right of the cursor, its first fitting input on the wire
            top_left = QPointF(scene_pos.x() + 10, scene_pos.y() - 60)
        else:
            top_left = QPointF(scene_pos.x() - NODE_WIDTH - 10, scene_pos.y() - 60)
        top_left = QPointF(snap(top_left.x()), snap(top_left.y()))
        self.undo_stack.beginMacro(f"Add {spec.title} and connect")
        node_id = self.add_node(node_type, top_left, config=config, title=title, centered=False)
        connected = False
        if node_id is not None:
            item = self.scene.nodes[node_id]
            ports = item.inputs if from_output else item.outputs
            for port in ports:
                source, target = (endpoint, port.endpoint) if from_output else (port.endpoint, endpoint)
                if self.document.connect_problem(source, target) is None:
                    self.undo_stack.push(ConnectCommand(self.document, source, target, self.message.emit))
                    connected = True
                    break
        self.undo_stack.endMacro()
        if node_id is not None and not connected:
            self.message.emit(f"Added {node_id!r}, but it could not be connected to {endpoint}")
        self.view.setFocus()

    # --- editing the selection ----------------------------------------------------------------------

    def delete_selection(self) -> None:
        nodes = self.scene.selected_node_ids()
        edges = self.scene.selected_edges()
        if not nodes and not edges:
            self.message.emit("Select nodes or wires to delete (click, Shift+click or drag a rectangle)")
            return
        self.undo_stack.push(RemoveCommand(self.document, nodes, edges, self.message.emit))

    def copy_selection(self) -> int:
        nodes = self.scene.selected_node_ids()
        if not nodes:
            self.message.emit("Select the nodes to copy first")
            return 0
        put_fragment(fragment(self.document.flow, nodes))
        self._paste_count = 0
        self.message.emit(f"Copied {len(nodes)} node{'s' if len(nodes) != 1 else ''}")
        return len(nodes)

    def cut_selection(self) -> None:
        if self.copy_selection():
            nodes = self.scene.selected_node_ids()
            command = RemoveCommand(self.document, nodes, [], self.message.emit)
            command.setText(f"Cut {len(nodes)} node{'s' if len(nodes) != 1 else ''}")
            self.undo_stack.push(command)

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Paste the clipboard's nodes (at the cursor when it is over the canvas, else offset)."""
        data = get_fragment()
        if data is None or not data["nodes"]:
            self.message.emit("Nothing to paste: copy nodes first (Ctrl+C)")
            return []
        return self._paste_fragment(data, at, "Paste")

    def duplicate_selection(self) -> list[str]:
        nodes = self.scene.selected_node_ids()
        if not nodes:
            self.message.emit("Select the nodes to duplicate first")
            return []
        data = fragment(self.document.flow, nodes)
        return self._paste_fragment(data, None, "Duplicate", step=PASTE_STEP)

    def _paste_fragment(self, data: dict[str, Any], at: QPointF | None, text: str, step: float = 0.0) -> list[str]:
        xs = [float((n.get("position") or {}).get("x", 0)) for n in data["nodes"]]
        ys = [float((n.get("position") or {}).get("y", 0)) for n in data["nodes"]]
        left, top = min(xs), min(ys)
        if at is None:
            cursor = self.view.viewport().mapFromGlobal(self.view.cursor().pos())
            if self.view.viewport().rect().contains(cursor) and not step:
                at = self.view.mapToScene(cursor)
        if at is not None:
            offset = (snap(at.x() - left), snap(at.y() - top))
        else:
            self._paste_count += 1
            shift = step or PASTE_STEP * self._paste_count
            offset = (shift, shift)
        count = len(data["nodes"])
        command = PasteCommand(
            self.document,
            data["nodes"],
            data["edges"],
            offset,
            text=f"{text} {count} node{'s' if count != 1 else ''}",
            on_error=self.message.emit,
        )
        self.undo_stack.push(command)
        if command.error is not None:
            return []
        self.scene.select_nodes(command.new_ids)
        self.message.emit(f"{text}: {count} node{'s' if count != 1 else ''}")
        return command.new_ids

    def auto_layout(self) -> None:
        """Arrange every node left to right by topology (one undo step)."""
        flow = self.document.flow
        ids = [n.id for n in flow.nodes]
        if not ids:
            return
        current = {i: (item.pos().x(), item.pos().y()) for i, item in self.scene.nodes.items()}
        origin = (min(p[0] for p in current.values()), min(p[1] for p in current.values()))
        positions = auto_layout(
            ids,
            flow.edges,
            {n.id: n.type for n in flow.nodes},
            width=NODE_WIDTH,
            height=lambda node_id: self.scene.nodes[node_id].height() + 20,
            origin=(snap(origin[0]), snap(origin[1])),
            current=current,
        )
        self._move_to(positions, "Auto layout")
        self.view.zoom_fit()

    def align(self, mode: AlignMode) -> None:
        selected = self.scene.selected_node_ids()
        if len(selected) < 2:
            self.message.emit("Select two or more nodes to align")
            return
        items = {i: self.scene.nodes[i] for i in selected}
        positions = {i: (item.pos().x(), item.pos().y()) for i, item in items.items()}
        sizes = {i: (NODE_WIDTH, item.height()) for i, item in items.items()}
        self._move_to(align(positions, sizes, mode), "Align")

    def _move_to(self, positions: dict[str, tuple[float, float]], text: str) -> None:
        moves = {}
        for node_id, new in positions.items():
            item = self.scene.nodes.get(node_id)
            if item is None:
                continue
            old = (item.pos().x(), item.pos().y())
            node = self.document.flow.node(node_id)
            if old != new or node.position is None:
                moves[node_id] = (old, new)
        if moves:
            self.undo_stack.push(MoveNodesCommand(self.document, moves, text=text, on_error=self.message.emit))

    # --- reacting -----------------------------------------------------------------------------------

    def _selection_changed(self) -> None:
        selected = self.scene.selected_node_ids()
        node_id = selected[0] if len(selected) == 1 else None
        self.inspector.show_node(node_id)
        self.details.show_node(node_id)
        self.run_from_action.setEnabled(node_id is not None and not self.run.running)

    def _running_changed(self, running: bool) -> None:
        self.stop_action.setEnabled(running)
        self.run_action.setEnabled(not running)
        self.run_from_action.setEnabled(not running and self.selected_node() is not None)

    def _scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        """The system switched between light and dark: recolour the canvas."""
        if not shiboken6.isValid(self.scene):
            return
        self.scene.set_dark(scheme == Qt.ColorScheme.Dark)
        self.minimap.invalidate()
        self.view.viewport().update()

    def _zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f}%")

    def _set_snap(self, on: bool) -> None:
        self.scene.snap_to_grid = on

    def selected_node(self) -> NodeItem | None:
        selected = self.scene.selected_node_ids()
        return self.scene.nodes.get(selected[0]) if len(selected) == 1 else None

    def tab_icon(self) -> QIcon:
        trigger = next((n for n in self.document.flow.nodes if n.type == "trigger"), None)
        return type_icon(trigger.type if trigger else "api_call")


def new_flow(name: str) -> Flow:
    """An empty flow with a manual trigger, ready to build on."""
    flow = Flow(name=name)
    flow.add_node("trigger", node_id="start", title="Start", position=(0, 0), config={"kind": "manual"})
    return flow
