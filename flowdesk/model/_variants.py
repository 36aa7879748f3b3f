"""Accept the few spellings of a tagged union that people write in connection files.

``{"type": "api_key", ...}``, ``{"kind": "api_key", ...}``, ``{"api_key": {...}}`` and ``"none"`` all mean
the same variant; they are normalised to the ``type`` form before pydantic picks the variant.
"""

from __future__ import annotations

from typing import Any


def normalise_variant(value: Any, known: frozenset[str]) -> Any:
    """Return ``value`` rewritten to ``{"type": name, ...}`` when it uses another accepted spelling."""
    if isinstance(value, str):
        return {"type": value}
    if not isinstance(value, dict):
        return value
    if "type" in value:
        return value
    if "kind" in value:
        rest = {k: v for k, v in value.items() if k != "kind"}
        return {"type": value["kind"], **rest}
    if len(value) == 1:
        (name, inner), = value.items()
        if name in known and (inner is None or isinstance(inner, dict)):
            return {"type": name, **(inner or {})}
    return value
