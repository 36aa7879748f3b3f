"""Application services: the one API the window and the command line both call.

The window and the CLI never talk to the store or to HTTP directly; they open a :class:`Workspace` and
call it, so both behave the same and the audit trail sees every change.
"""

from flowdesk.workspace._calls import CallOutcome
from flowdesk.workspace._workspace import Workspace, current_user

__all__ = ["CallOutcome", "Workspace", "current_user"]
