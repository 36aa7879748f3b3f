"""``{field}`` templates, filled from an item (a JSON object) and the flow's variables.

Names resolve against the item's fields (dotted paths: ``{Temp.mediaId}``, ``{customer.address.city}``),
then against the variables (``{vars.limit}`` always names a variable; ``{item}`` is the whole item). A
template that is exactly one placeholder keeps the value's type (``"{id}"`` with id 7 gives 7); otherwise
values are formatted into the text. ``{{`` and ``}}`` are literal braces. Templates are parsed once and
cached, because the engine fills the same few templates for every item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flowdesk.model.errors import UserError


class TemplateError(UserError):
    """A placeholder names a field that neither the item nor the variables have."""


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][\w\-]*(?:\.[\w\-]+|\[\d+\])*)\}")
_MISSING = object()


@lru_cache(maxsize=4096)
def _compile(template: str) -> tuple[tuple[str, ...], tuple[str | None, ...]] | str:
    """Split into literal parts and names; a lone placeholder compiles to its name."""
    literals: list[str] = []
    names: list[str | None] = []
    pos = 0
    buffer = ""
    for match in _PLACEHOLDER.finditer(template):
        buffer += template[pos : match.start()]
        pos = match.end()
        if match.group(0) == "{{":
            buffer += "{"
        elif match.group(0) == "}}":
            buffer += "}"
        else:
            literals.append(buffer)
            names.append(match.group(1))
            buffer = ""
    buffer += template[pos:]
    if len(names) == 1 and literals == [""] and buffer == "" and template.startswith("{"):
        assert names[0] is not None
        return names[0]
    literals.append(buffer)
    return tuple(literals), tuple(names)


def has_placeholders(template: str) -> bool:
    compiled = _compile(template)
    return isinstance(compiled, str) or bool(compiled[1])


def placeholders(template: str) -> list[str]:
    """The names a template refers to (for autocomplete and validation)."""
    compiled = _compile(template)
    if isinstance(compiled, str):
        return [compiled]
    return [n for n in compiled[1] if n is not None]


def lookup(name: str, item: Mapping[str, Any] | None, variables: Mapping[str, Any] | None = None) -> Any:
    """The value a placeholder name stands for, or raise :class:`TemplateError`."""
    value = resolve(name, item, variables)
    if value is _MISSING:
        known = ", ".join(sorted(item)[:12]) if item else "none"
        raise TemplateError(f"{{{name}}} matches no field of the item (fields: {known}) and no variable")
    return value


def resolve(name: str, item: Mapping[str, Any] | None, variables: Mapping[str, Any] | None = None) -> Any:
    """Like :func:`lookup` but returns a private sentinel instead of raising; use :func:`lookup`."""
    if name == "item":
        return dict(item or {})
    parts = _split(name)
    if item is not None:
        found = _walk(item, parts)
        if found is not _MISSING:
            return found
    if variables is not None:
        if parts[0] == "vars" and len(parts) > 1:
            return _walk(variables, parts[1:])
        return _walk(variables, parts)
    return _MISSING


def render(template: Any, item: Mapping[str, Any] | None, variables: Mapping[str, Any] | None = None) -> Any:
    """Fill a template; lists and dicts are filled recursively, other values returned as they are.

    Raises:
        TemplateError: a placeholder matches nothing; the message names it and the item's fields.
    """
    if isinstance(template, str):
        compiled = _compile(template)
        if isinstance(compiled, str):
            return lookup(compiled, item, variables)
        literals, names = compiled
        if not names:
            return literals[0]
        out = [literals[0]]
        for name, literal in zip(names, literals[1:], strict=True):
            assert name is not None
            out.append(_text(lookup(name, item, variables)))
            out.append(literal)
        return "".join(out)
    if isinstance(template, dict):
        return {k: render(v, item, variables) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, item, variables) for v in template]
    return template


def render_text(template: str, item: Mapping[str, Any] | None, variables: Mapping[str, Any] | None = None) -> str:
    """Fill a template and always return text (for URLs and headers)."""
    return _text(render(template, item, variables))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=4096)
def _split(name: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", name):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return tuple(parts)


def _walk(root: Any, parts: tuple[str | int, ...]) -> Any:
    node = root
    for part in parts:
        if isinstance(part, int):
            if isinstance(node, list) and -len(node) <= part < len(node):
                node = node[part]
                continue
            return _MISSING
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node
