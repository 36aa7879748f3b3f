"""Printing results: tables for people, JSON for programs, diagnostics on stderr."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO


def print_json(data: Any, out: TextIO | None = None) -> None:
    """Pretty JSON on stdout (non-JSON values such as datetimes become strings)."""
    stream = out or sys.stdout
    stream.write(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    stream.write("\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    """A plain aligned table; an empty one prints just a note."""
    stream = out or sys.stdout
    if not rows:
        stream.write("(none)\n")
        return
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    stream.write("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip() + "\n")
    for row in cells:
        stream.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


def note(message: str) -> None:
    """A line for the person at the terminal, on stderr so stdout stays clean for pipes."""
    sys.stderr.write(message + "\n")


def preview(data: Any, limit: int = 400) -> str:
    """A short one-line rendering of a response body or records."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(value: Any) -> str | None:
    """A stored timestamp (epoch seconds or datetime) as local time for people."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
    if hasattr(value, "astimezone"):
        return str(value.astimezone().strftime("%Y-%m-%d %H:%M:%S"))
    return str(value)


def plain(value: Any) -> Any:
    """Dataclasses, pydantic models and containers as JSON-ready data, timestamps (``*_at``) readable."""
    import dataclasses  # not at the top: every command module imports this one, and --help should stay quick

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: when(v) if (k.endswith("_at") or k in ("at", "last_used")) else plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
