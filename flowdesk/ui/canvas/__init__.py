"""The flow canvas: build, run and debug flows visually (QGraphicsScene/QGraphicsView).

The flow model stays Qt-free: a :class:`FlowDocument` wraps the :class:`~flowdesk.model.flow.Flow` being
edited and tells the scene what changed; every edit is an undo command calling a document method.
:class:`FlowsWorkbench` is the window's Flows page (stored flows beside open flow tabs).
"""

from flowdesk.ui.canvas._document import Change, FlowDocument, Problem
from flowdesk.ui.canvas._editor import FlowEditor, new_flow
from flowdesk.ui.canvas._recovery import RecoveredFlow, RecoveryStore
from flowdesk.ui.canvas._run_state import NodeRunState, RunState, run_state_from_record
from flowdesk.ui.canvas._scene import FlowScene
from flowdesk.ui.canvas._services import CanvasServices
from flowdesk.ui.canvas._tabs import FlowsWorkbench, FlowTabs
from flowdesk.ui.canvas._view import NODE_MIME, FlowView, entity_payload, node_mime_data, payload_from_mime

__all__ = [
    "NODE_MIME",
    "CanvasServices",
    "Change",
    "FlowDocument",
    "FlowEditor",
    "FlowScene",
    "FlowTabs",
    "FlowView",
    "FlowsWorkbench",
    "NodeRunState",
    "Problem",
    "RecoveredFlow",
    "RecoveryStore",
    "RunState",
    "entity_payload",
    "new_flow",
    "node_mime_data",
    "payload_from_mime",
    "run_state_from_record",
]
