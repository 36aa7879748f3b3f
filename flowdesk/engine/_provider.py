"""What the engine needs from its caller: entities and the pooled client of each connection.

The :class:`~flowdesk.workspace.Workspace` is the real provider; tests pass a small fake. The engine never
reaches for the store or builds connection clients of its own (except for a ``webhook_out`` node that
posts to a bare URL, see :class:`~flowdesk.engine.FlowRunner`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the HTTP client loads with the first api_call node, not with the engine
    from flowdesk.connections import ConnectionClient
    from flowdesk.model.connection import Entity


class CallProvider(Protocol):
    """The two methods of the workspace the engine calls.

    A provider may also have ``webhook_secret(ref: str) -> str``: ``webhook_out`` nodes with a
    ``secret_ref`` sign with the secret it returns (without that method such a node fails clearly).
    """

    def entity(self, connection: str, name: str) -> Entity:
        """The entity ``name`` of ``connection``; raises ``NotFoundError`` naming what exists."""
        ...

    def client(self, connection: str) -> ConnectionClient:
        """The pooled client of ``connection`` (its retries, rate limit and call events included)."""
        ...
