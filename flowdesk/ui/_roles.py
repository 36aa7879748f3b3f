"""Role awareness in the window: what the acting user may not do is greyed out, with the role it needs.

The workspace enforces the roles (:mod:`flowdesk.workspace`); the window only asks ``Workspace.can`` so that a
refused action is visibly unavailable instead of failing when clicked.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from flowdesk.workspace import Workspace

Role = Literal["admin", "editor", "viewer"]


def refusal(workspace: Workspace, needed: Role, action: str) -> str | None:
    """``None`` when the acting user may do ``action``, else why not ("Adding connections needs the admin
    role: you are an editor in workspace 'Team'")."""
    if workspace.can(needed):
        return None
    role = workspace.role
    if role is None:
        who = f"you ({workspace.user}) are not a member of workspace {workspace.name!r}"
    else:
        article = "an" if role[0] in "aeiou" else "a"
        who = f"you ({workspace.user}) are {article} {role} in workspace {workspace.name!r}"
    return f"{action[:1].upper()}{action[1:]} needs the {needed} role: {who}"


def permit(target: QWidget | QAction, refused: str | None, tip: str, *, enabled: bool = True) -> None:
    """Enable ``target`` when ``enabled`` and not ``refused``; its tooltip says why when refused."""
    target.setEnabled(enabled and refused is None)
    target.setToolTip(refused or tip)
    if isinstance(target, QAction):
        target.setStatusTip(refused or tip)
