"""Running flows: a streaming node graph on asyncio (no Qt; any event loop).

:class:`FlowRunner` runs a validated :class:`~flowdesk.model.flow.Flow` against a :class:`CallProvider`
(the workspace) and returns a :class:`RunResult`; it reports progress as :mod:`flowdesk.model.events`.
A node that fails on an item sends it to its ``error`` port when that is connected, else the run fails
with a message naming the node, the item and the cause; no exception escapes :meth:`FlowRunner.run`
except ``CancelledError`` when its own task is cancelled.
"""

from flowdesk.engine._provider import CallProvider
from flowdesk.engine._runner import BATCH_SIZE, NODE_TYPES, OUTPUT_CAP, QUEUE_BATCHES, FlowRunner, RunResult

__all__ = ["BATCH_SIZE", "NODE_TYPES", "OUTPUT_CAP", "QUEUE_BATCHES", "CallProvider", "FlowRunner", "RunResult"]
