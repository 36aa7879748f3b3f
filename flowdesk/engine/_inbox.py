"""A node's inbox: batches of items from every edge into the node, bounded so memory stays bounded.

Items travel in batches (lists), one ``put`` per page or per slice of a list, because a queue operation
per item would cost more than the work most nodes do per item. The bound counts batches; a producer that
finds the inbox full waits, which slows the whole chain down to the pace of its slowest node. End-of-stream
markers, idle signals and the back-edge of a while loop skip the bound: a cycle of bounded queues could
otherwise fill up and wait on itself forever.
"""

from __future__ import annotations

import asyncio
from typing import Any

Batch = list[Any]


class Inbox:
    """Batches addressed to the input ports of one node, in arrival order."""

    __slots__ = ("_queue", "_space")

    def __init__(self, capacity: int) -> None:
        self._queue: asyncio.Queue[tuple[str, Batch | None, bool]] = asyncio.Queue()
        self._space = asyncio.Semaphore(capacity)

    async def put(self, port: str, batch: Batch) -> None:
        """Add a batch for ``port``, waiting while the inbox is full."""
        await self._space.acquire()
        self._queue.put_nowait((port, batch, True))

    def put_now(self, port: str, batch: Batch | None) -> None:
        """Add without waiting: ``None`` ends one producer's stream on ``port``; also back-edges and signals."""
        self._queue.put_nowait((port, batch, False))

    async def get(self) -> tuple[str, Batch | None]:
        port, batch, bounded = await self._queue.get()
        if bounded:
            self._space.release()
        return port, batch
