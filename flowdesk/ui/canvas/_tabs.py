"""The Flows page: the stored flows (new, open, rename, duplicate, delete, import, export) beside the open
flows in tabs, with unsaved marks, autosave to recovery files and the recovery offer after a crash.

Dialogs are opened with ``open()`` and answered through signals, never ``exec()``: this page lives next to
coroutines on the qasync loop (LIBRARIES.md). Each dialog step also has a direct method (``new_flow``,
``rename_flow`` …) that the dialogs call and tests can use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.errors import FlowdeskError, InvalidConfigError, UserError
from flowdesk.model.flow import Flow, validate_flow
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui._times import ago, local_time
from flowdesk.ui.canvas._document import FlowDocument
from flowdesk.ui.canvas._editor import FlowEditor, new_flow
from flowdesk.ui.canvas._recovery import RecoveredFlow, RecoveryStore
from flowdesk.ui.canvas._services import CanvasServices
from flowdesk.ui.resources import icon

UNSAVED_MARK = "● "


class FlowTabs(QTabWidget):
    """Open flows, one :class:`FlowEditor` per tab; a dot marks unsaved changes."""

    message = Signal(str)
    current_editor_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setDocumentMode(True)
        self.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabCloseRequested.connect(self.ask_close)
        self.currentChanged.connect(lambda _i: self.current_editor_changed.emit(self.current_editor()))
        self.pending_close: QMessageBox | None = None

    def editors(self) -> list[FlowEditor]:
        found = []
        for index in range(self.count()):
            widget = self.widget(index)
            if isinstance(widget, FlowEditor):
                found.append(widget)
        return found

    def current_editor(self) -> FlowEditor | None:
        widget = self.currentWidget()
        return widget if isinstance(widget, FlowEditor) else None

    def editor_for(self, stored_name: str) -> FlowEditor | None:
        for editor in self.editors():
            if editor.document.stored_name == stored_name:
                return editor
        return None

    def add_editor(self, editor: FlowEditor) -> None:
        index = self.addTab(editor, editor.tab_icon(), "")
        editor.dirty_changed.connect(lambda _d, e=editor: self._retitle(e))
        editor.title_changed.connect(lambda _t, e=editor: self._retitle(e))
        editor.saved.connect(lambda _n, e=editor: self._retitle(e))
        editor.message.connect(self.message.emit)
        self._retitle(editor)
        self.setCurrentIndex(index)

    def _retitle(self, editor: FlowEditor) -> None:
        index = self.indexOf(editor)
        if index < 0:
            return
        name = editor.document.name
        self.setTabText(index, (UNSAVED_MARK if editor.dirty else "") + name)
        tip = f"{name} — unsaved changes (kept in a recovery file until saved)" if editor.dirty else name
        self.setTabToolTip(index, tip)

    def ask_close(self, index: int) -> None:
        """Close a tab; with unsaved changes first ask: save, discard, or keep it open."""
        editor = self.widget(index)
        if not isinstance(editor, FlowEditor):
            return
        if not editor.dirty:
            self.close_editor(editor)
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"Save the changes to the flow {editor.document.name!r}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)

        def answered(result: int) -> None:
            self.pending_close = None
            if result == QMessageBox.StandardButton.Save.value:
                if editor.save():
                    self.close_editor(editor)
            elif result == QMessageBox.StandardButton.Discard.value:
                editor.discard_recovery()
                self.close_editor(editor)

        box.finished.connect(answered)
        self.pending_close = box
        box.open()

    def close_editor(self, editor: FlowEditor, *, keep_recovery: bool = False) -> None:
        index = self.indexOf(editor)
        if index >= 0:
            self.removeTab(index)
        if not editor.dirty and not keep_recovery:
            editor.discard_recovery()
        editor.close_editor()
        editor.deleteLater()


class FlowsWorkbench(QWidget):
    """The Flows page: stored flows on the left, open flows in tabs on the right, a run progress bar."""

    message = Signal(str)

    def __init__(
        self,
        services: CanvasServices,
        keeper: TaskKeeper,
        *,
        data_dir: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.keeper = keeper
        workspace = services.workspace
        self.recovery = (
            RecoveryStore(data_dir, workspace.name if workspace is not None else "default")
            if data_dir is not None
            else None
        )
        self.dialog: QWidget | None = None
        self.recovery_prompt: QMessageBox | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(True)  # the list can be folded away to give the canvas room
        layout.addWidget(self.splitter)

        left = QWidget(self.splitter)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 0, 6)
        left_layout.setSpacing(6)
        self.flow_list = QTreeWidget(left)
        self.flow_list.setHeaderLabels(["Flow", "Last run"])
        self.flow_list.setRootIsDecorated(False)
        self.flow_list.setAlternatingRowColors(True)
        self.flow_list.setSortingEnabled(True)
        self.flow_list.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        header = self.flow_list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.flow_list.itemDoubleClicked.connect(lambda item, _c: self.open_flow(self._name_of(item)))
        self.flow_list.itemActivated.connect(lambda item, _c: self.open_flow(self._name_of(item)))
        self.flow_list.currentItemChanged.connect(lambda _c, _p: self._update_buttons())
        left_layout.addWidget(self.flow_list, 1)
        self.buttons: dict[str, QPushButton] = {}
        grid = QVBoxLayout()
        grid.setSpacing(4)
        for row in (
            (
                ("new", "New…", self.ask_new),
                ("open", "Open", self._open_selected),
                ("import", "Import…", self.ask_import),
            ),
            (
                ("rename", "Rename…", self.ask_rename),
                ("duplicate", "Duplicate", self._duplicate_selected),
                ("export", "Export…", self.ask_export),
            ),
            (("delete", "Delete…", self.ask_delete),),
        ):
            line = QHBoxLayout()
            for key, text, slot in row:
                button = QPushButton(text, left)
                button.clicked.connect(lambda _checked=False, s=slot: s())
                self.buttons[key] = button
                line.addWidget(button)
            line.addStretch(1)
            grid.addLayout(line)
        self.buttons["new"].setIcon(icon("action-new"))
        self.buttons["new"].setToolTip("Create a flow with a manual trigger and open it")
        self.buttons["import"].setToolTip("Open a .flow.json (or YAML) file as a flow")
        self.buttons["export"].setToolTip("Write the selected flow to a .flow.json file")
        left_layout.addLayout(grid)

        self.right = QStackedWidget(self.splitter)
        empty = QWidget(self.right)
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(2)
        heading = QLabel("<b>No flow open</b>", empty)
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        about = QLabel(
            "Double-click a flow on the left to open it, or create one with New. "
            "Flows chain API calls, conditions, loops and transforms; F5 runs the open flow.",
            empty,
        )
        about.setWordWrap(True)
        about.setAlignment(Qt.AlignmentFlag.AlignCenter)
        picture = QLabel(empty)
        picture.setPixmap(icon("nav-flows").pixmap(QSize(48, 48)))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_layout.addWidget(picture)
        empty_layout.addWidget(heading)
        empty_layout.addWidget(about)
        empty_layout.addStretch(3)
        self.tabs = FlowTabs(self.right)
        self.tabs.message.connect(self.message.emit)
        self.tabs.currentChanged.connect(lambda _i: self._tabs_changed())
        self.right.addWidget(empty)
        self.right.addWidget(self.tabs)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([200, 1080])

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m nodes")
        self.progress.hide()
        services.flow_listeners.append(self.refresh)
        self.refresh()

    # --- the list -----------------------------------------------------------------------------------

    @staticmethod
    def _name_of(item: QTreeWidgetItem | None) -> str:
        return str(item.data(0, Qt.ItemDataRole.UserRole)) if item is not None else ""

    def selected_name(self) -> str | None:
        item = self.flow_list.currentItem()
        return self._name_of(item) if item is not None else None

    def names(self) -> list[str]:
        return [self._name_of(self.flow_list.topLevelItem(i)) for i in range(self.flow_list.topLevelItemCount())]

    def refresh(self, select: str | None = None) -> None:
        """Reload the stored flows (keeping the selection, or selecting ``select``)."""
        selected = select or self.selected_name()
        self.flow_list.clear()
        workspace = self.services.workspace
        infos = []
        if workspace is not None:
            try:
                infos = workspace.list_flows()
            except FlowdeskError as exc:
                self.message.emit(str(exc))
        for info in infos:
            item = QTreeWidgetItem([info.name, info.last_run_status or "never run"])
            item.setData(0, Qt.ItemDataRole.UserRole, info.name)
            item.setIcon(0, icon("nav-flows"))
            nodes = f"{info.node_count} node{'s' if info.node_count != 1 else ''}"
            item.setToolTip(
                0, f"{info.name}\n{nodes}, updated {ago(info.updated_at)} ({local_time(info.updated_at)})\n"
                "Double-click to open"
            )
            self.flow_list.addTopLevelItem(item)
            if info.name == selected:
                self.flow_list.setCurrentItem(item)
        self._update_buttons()

    def _update_buttons(self) -> None:
        selected = self.selected_name() is not None
        for key in ("open", "rename", "duplicate", "export", "delete"):
            self.buttons[key].setEnabled(selected)
        has_workspace = self.services.workspace is not None
        for key in ("new", "import"):
            self.buttons[key].setEnabled(has_workspace)

    def _tabs_changed(self) -> None:
        self.right.setCurrentIndex(1 if self.tabs.count() else 0)
        editor = self.tabs.current_editor()
        self._show_progress(editor)

    # --- opening ------------------------------------------------------------------------------------

    def _editor(self, document: FlowDocument, recovery_key: str | None = None) -> FlowEditor:
        editor = FlowEditor(
            document,
            self.services,
            self.keeper,
            recovery=self.recovery,
            recovery_key=recovery_key,
            parent=self.tabs,
        )
        editor.run.progress.connect(lambda done, total, e=editor: self._progress(e, done, total))
        editor.run.running_changed.connect(lambda _r, e=editor: self._show_progress(e))
        editor.saved.connect(lambda _name: self.refresh())
        editor.run.finished.connect(lambda _status: self.refresh())  # the list shows each flow's last run
        self.tabs.add_editor(editor)
        self.right.setCurrentIndex(1)
        return editor

    def open_flow(self, name: str) -> FlowEditor | None:
        """Open the stored flow ``name`` (or switch to its tab)."""
        if not name:
            return None
        existing = self.tabs.editor_for(name)
        if existing is not None:
            self.tabs.setCurrentWidget(existing)
            return existing
        workspace = self.services.workspace
        if workspace is None:
            return None
        try:
            flow = workspace.get_flow(name)
        except FlowdeskError as exc:
            self.message.emit(str(exc))
            return None
        editor = self._editor(FlowDocument(flow, stored_name=name))
        self.message.emit(f"Opened flow {name!r}")
        return editor

    def open_document(self, flow: Flow, *, stored_name: str | None = None, dirty: bool = False) -> FlowEditor:
        editor = self._editor(FlowDocument(flow, stored_name=stored_name))
        if dirty:
            editor.mark_unsaved()
        return editor

    def _open_selected(self) -> None:
        name = self.selected_name()
        if name:
            self.open_flow(name)

    # --- new, rename, duplicate, delete -------------------------------------------------------------

    def _unique(self, base: str) -> str:
        taken = set(self.names()) | {e.document.name for e in self.tabs.editors()}
        name, number = base, 2
        while name in taken:
            name, number = f"{base} {number}", number + 1
        return name

    def ask_new(self) -> None:
        self._ask_text("New flow", "Name of the new flow:", self._unique("New flow"), self.new_flow)

    def new_flow(self, name: str) -> FlowEditor | None:
        """Create (and store) a flow with a manual trigger, and open it."""
        name = name.strip()
        if not name:
            return None
        if name in self.names():
            self.message.emit(f"There is already a flow named {name!r}")
            return None
        flow = new_flow(name)
        try:
            self.services.save_flow(flow)
        except FlowdeskError as exc:
            self.message.emit(f"Not created: {exc}")
            return None
        self.refresh(select=name)
        editor = self._editor(FlowDocument(flow, stored_name=name))
        self.message.emit(f"Created flow {name!r}: drag nodes from the palette, or press Tab on the canvas")
        return editor

    def add_node(self, payload: dict[str, Any]) -> str | None:
        """Add the node ``payload`` describes to the current flow tab (a new flow when none is open).

        Returns the new node's id, or ``None`` when it was refused (the reason goes to ``message``).
        """
        editor = self.tabs.current_editor() or self.new_flow(self._unique("New flow"))
        return editor.add_in_view(payload) if editor is not None else None

    def ask_rename(self) -> None:
        old = self.selected_name()
        if old:
            self._ask_text("Rename flow", f"New name for {old!r}:", old, lambda new: self.rename_flow(old, new))

    def rename_flow(self, old: str, new: str) -> bool:
        new = new.strip()
        workspace = self.services.workspace
        if workspace is None or not new or new == old:
            return False
        try:
            workspace.rename_flow(old, new)
        except FlowdeskError as exc:
            self.message.emit(f"Not renamed: {exc}")
            return False
        editor = self.tabs.editor_for(old)
        if editor is not None:
            editor.document.flow.name = new
            editor.document.mark_saved(new)
            editor.title_changed.emit(new)
        self.refresh(select=new)
        self.message.emit(f"Renamed {old!r} to {new!r}")
        return True

    def _duplicate_selected(self) -> None:
        name = self.selected_name()
        if name:
            self.duplicate_flow(name)

    def duplicate_flow(self, name: str) -> str | None:
        workspace = self.services.workspace
        if workspace is None:
            return None
        try:
            flow = workspace.get_flow(name)
            copy = flow.model_copy(deep=True)
            copy.name = self._unique(f"{name} copy")
            self.services.save_flow(copy)
        except FlowdeskError as exc:
            self.message.emit(f"Not duplicated: {exc}")
            return None
        self.refresh(select=copy.name)
        self.message.emit(f"Duplicated {name!r} as {copy.name!r}")
        return copy.name

    def ask_delete(self) -> None:
        name = self.selected_name()
        if not name:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete flow",
            f"Delete the flow {name!r}? Its run history stays.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Yes.value and self.delete_flow(name))
        self.dialog = box
        box.open()

    def delete_flow(self, name: str) -> bool:
        workspace = self.services.workspace
        if workspace is None:
            return False
        try:
            workspace.remove_flow(name)
        except FlowdeskError as exc:
            self.message.emit(f"Not deleted: {exc}")
            return False
        editor = self.tabs.editor_for(name)
        if editor is not None:
            editor.mark_clean()
            editor.discard_recovery()
            self.tabs.close_editor(editor)
        self.refresh()
        self.message.emit(f"Deleted flow {name!r}")
        return True

    # --- import and export --------------------------------------------------------------------------

    def ask_import(self) -> None:
        dialog = QFileDialog(self, "Import a flow", "", "Flows (*.flow.json *.json *.yaml *.yml);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.import_file(Path(path)))
        self.dialog = dialog
        dialog.open()

    def import_file(self, path: Path) -> FlowEditor | None:
        """Read a flow file and open it; a valid one is stored at once, an invalid one opens as a draft
        with its problems marked (nothing is lost; Save stores it once they are fixed)."""
        from flowdesk.model.files import read_document

        try:
            data = read_document(Path(path))
        except (OSError, UserError, ValueError) as exc:
            self.message.emit(f"Not imported: {exc}")
            return None
        try:
            flow = validate_flow(data) if isinstance(data, dict) else None
        except InvalidConfigError:
            flow = None
        if flow is None:
            try:
                flow = Flow.model_validate(data)
            except ValueError as exc:
                self.message.emit(f"Not imported: {path.name} is not a flow file ({str(exc).splitlines()[0]})")
                return None
        original = flow.name
        if flow.name in self.names():
            flow.name = self._unique(flow.name)
        try:
            self.services.save_flow(flow)
        except FlowdeskError as exc:
            editor = self.open_document(flow, dirty=True)
            self.message.emit(f"Imported {path.name} as a draft (not saved: {str(exc).splitlines()[0]})")
            return editor
        self.refresh()
        editor = self._editor(FlowDocument(flow, stored_name=flow.name))
        renamed = f" as {flow.name!r}" if flow.name != original else ""
        self.message.emit(f"Imported {path.name}{renamed}")
        return editor

    def ask_export(self) -> None:
        name = self.selected_name()
        if not name:
            return
        dialog = QFileDialog(self, f"Export {name}", f"{name}.flow.json", "Flows (*.flow.json)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("flow.json")
        dialog.fileSelected.connect(lambda path: self.export_flow(name, Path(path)))
        self.dialog = dialog
        dialog.open()

    def export_flow(self, name: str, path: Path) -> bool:
        """Write the stored flow ``name`` (an open tab's current state if it has one) to ``path``."""
        editor = self.tabs.editor_for(name)
        try:
            if editor is not None:
                data = editor.document.to_file()
            elif self.services.workspace is not None:
                data = self.services.workspace.export_flow(name)
            else:
                return False
            Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        except (OSError, FlowdeskError) as exc:
            self.message.emit(f"Not exported: {exc}")
            return False
        self.message.emit(f"Exported {name!r} to {path}")
        return True

    # --- recovery -----------------------------------------------------------------------------------

    def pending_recovery(self) -> list[RecoveredFlow]:
        return self.recovery.pending() if self.recovery is not None else []

    def offer_recovery(self) -> QMessageBox | None:
        """Ask (non-modally) whether to reopen flows left unsaved by a session that ended unexpectedly."""
        found = self.pending_recovery()
        if not found:
            return None
        names = "\n".join(f"• {r.flow.get('name', '?')} ({local_time(r.saved_at)})" for r in found[:10])
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Recover unsaved flows",
            f"flowdesk ended without saving changes to {len(found)} flow{'s' if len(found) != 1 else ''}:\n"
            f"{names}\n\nReopen them with those changes?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
            self,
        )
        box.button(QMessageBox.StandardButton.Yes).setText("Reopen")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)

        def answered(result: int) -> None:
            self.recovery_prompt = None
            if result == QMessageBox.StandardButton.Discard.value:
                self.discard_recovered(found)
            else:
                self.recover(found)

        box.finished.connect(answered)
        self.recovery_prompt = box
        box.open()
        return box

    def recover(self, found: list[RecoveredFlow]) -> list[FlowEditor]:
        editors = []
        for record in found:
            try:
                flow = Flow.model_validate(record.flow)
            except ValueError:
                self.message.emit(f"Could not read the recovered flow in {record.path.name}")
                continue
            editor = self._editor(FlowDocument(flow, stored_name=record.stored_name), recovery_key=record.key)
            editor.mark_unsaved()  # differs from what is stored; the recovery file is now this session's
            editors.append(editor)
        if editors:
            self.message.emit(f"Recovered {len(editors)} flow{'s' if len(editors) != 1 else ''}: save them (Ctrl+S)")
        return editors

    def discard_recovered(self, found: list[RecoveredFlow]) -> None:
        if self.recovery is None:
            return
        for record in found:
            self.recovery.discard(record.key)

    # --- run progress -------------------------------------------------------------------------------

    def _progress(self, editor: FlowEditor, done: int, total: int) -> None:
        if editor is self.tabs.current_editor():
            self.progress.setMaximum(max(total, 1))
            self.progress.setValue(done)

    def _show_progress(self, editor: FlowEditor | None) -> None:
        running = editor is not None and editor.run.running
        self.progress.setVisible(running)
        if running and editor is not None and editor.run.state is not None:
            self._progress(editor, editor.run.state.nodes_done, len(editor.run.state.nodes))

    # --- dialogs and closing ------------------------------------------------------------------------

    def _ask_text(self, title: str, label: str, value: str, then: Callable[[str], Any]) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(value)
        dialog.textValueSelected.connect(lambda text: then(text))
        self.dialog = dialog
        dialog.open()

    def unsaved_editors(self) -> list[FlowEditor]:
        return [e for e in self.tabs.editors() if e.dirty]

    def shutdown(self) -> None:
        """The window is closing: stop runs; unsaved flows keep their recovery files for next time.

        Safe to call twice, and after Qt has already destroyed the page with its window.
        """
        if self.refresh in self.services.flow_listeners:
            self.services.flow_listeners.remove(self.refresh)
        if not shiboken6.isValid(self.tabs):
            return
        for editor in self.tabs.editors():
            self.tabs.close_editor(editor, keep_recovery=True)
