"""Errors shown as messages: user and operational errors in plain words, a refused role as a plain note.

Boxes are opened with ``open()``, never ``exec()``: they may be shown from inside a coroutine (LIBRARIES.md).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from flowdesk.model.errors import FlowdeskError, NotPermittedError


def error_text(error: BaseException) -> str:
    """What to tell the user: the message (and hint) of a flowdesk error; other errors are bugs, said so."""
    return str(error) if isinstance(error, FlowdeskError) else f"Unexpected error: {error!r}"


def error_box(parent: QWidget, error: BaseException, title: str = "flowdesk") -> QMessageBox:
    """Open (without blocking) a message box about ``error`` and return it.

    A :class:`NotPermittedError` is a plain information ("Not permitted"), not a warning: nothing broke, the
    role does not allow it, and the hint says whom to ask.
    """
    if isinstance(error, NotPermittedError):
        box = QMessageBox(QMessageBox.Icon.Information, "Not permitted", error.message, parent=parent)
        if error.hint:
            box.setInformativeText(f"To get the {error.needed} role, {error.hint}.")
    else:
        box = QMessageBox(QMessageBox.Icon.Warning, title, error_text(error), parent=parent)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
