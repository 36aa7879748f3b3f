"""``call --check-contract``: check each page's records against the entity's contract, warn on stderr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flowdesk.cli._output import note

if TYPE_CHECKING:
    from flowdesk.model.contract import ContractMismatch
    from flowdesk.workspace import Workspace

MAX_LISTED = 20
"""Mismatches printed per call; a field broken on every record would otherwise flood the terminal."""


class ContractWatch:
    """Checks the records of one call, page by page, with the entity's contract compiled once.

    Mismatches are warnings: they are printed after the call and never change its exit code.

    Raises (on construction):
        NotFoundError: no such connection or entity.
        InvalidConfigError: the entity's ``response_schema`` is not valid JSON Schema.
    """

    def __init__(self, ws: Workspace, connection: str, entity: str) -> None:
        self.entity = entity
        self._checker = ws.contract_checker(connection, entity)
        self._records = 0
        self.mismatches: list[ContractMismatch] = []

    def observe(self, records: Sequence[Any]) -> None:
        room = MAX_LISTED - len(self.mismatches)
        found = self._checker.check(records, first_index=self._records, limit=max(room, 0))
        self.mismatches.extend(found)
        self._records += len(records)

    def report(self) -> None:
        """The outcome on stderr: each mismatch as a warning, or that the records match."""
        if not self._checker.active:
            note(f"warning: entity {self.entity!r} has no contract to check (no response schema, no schema fields)")
            return
        if not self.mismatches:
            note(f"contract: {self._records} record(s) match the {self._source} of {self.entity!r}")
            return
        for mismatch in self.mismatches:
            note(f"warning: contract of {self.entity!r}: {mismatch}")
        if len(self.mismatches) >= MAX_LISTED:
            note(f"warning: contract of {self.entity!r}: only the first {MAX_LISTED} mismatches are listed")

    @property
    def _source(self) -> str:
        return "response schema" if self._checker.source == "response_schema" else "schema fields"
