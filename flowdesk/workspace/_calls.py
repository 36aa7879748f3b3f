"""Results of one-off calls made from the CLI's ``call`` or the window's request tester."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallOutcome:
    """What a finished ``call`` reports: the records (or body), the last status and how long it took."""

    records: list[Any] = field(default_factory=list)
    status: int | None = None
    pages: int = 0
    elapsed_ms: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
