"""Reading and writing (dotted) fields of items without changing the item the node was given.

Items are shared between branches (a batch sent to two edges is the same list of the same dicts), so a node
never mutates an item it received: it copies the top level, and every nested object along a dotted path
it writes to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowdesk.model.templating import resolve

MISSING: Any = resolve("x", {}, {})
"""What :func:`get_field` returns for a field the item does not have (templating's own sentinel)."""


def get_field(item: Mapping[str, Any], name: str) -> Any:
    """The value at ``name`` (``a``, ``a.b``, ``a[0].b``), or :data:`MISSING`."""
    if name in item:
        return item[name]
    return resolve(name, item, None)


def set_field(item: dict[str, Any], name: str, value: Any) -> None:
    """Set ``name`` in ``item`` (a copy the caller owns), copying nested objects along a dotted path."""
    if "." not in name:
        item[name] = value
        return
    *parents, last = name.split(".")
    node = item
    for part in parents:
        child = node.get(part)
        copied = dict(child) if isinstance(child, Mapping) else {}
        node[part] = copied
        node = copied
    node[last] = value


def pop_field(item: dict[str, Any], name: str) -> Any:
    """Remove ``name`` from ``item`` (a copy the caller owns) and return its value, or :data:`MISSING`."""
    if "." not in name:
        return item.pop(name, MISSING)
    *parents, last = name.split(".")
    node = item
    for part in parents:
        child = node.get(part)
        if not isinstance(child, Mapping):
            return MISSING
        copied = dict(child)
        node[part] = copied
        node = copied
    return node.pop(last, MISSING)


def join_key(value: Any) -> Any:
    """Keys of lookups and zips compare as text, so an id of 7 meets an id of "7"."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return repr(value)


def as_item(value: Any) -> dict[str, Any]:
    """Items are JSON objects; a bare value (a record that is a number or a string) becomes ``{value}``."""
    return value if isinstance(value, dict) else {"value": value}


def as_items(values: list[Any]) -> list[dict[str, Any]]:
    """:func:`as_item` of each value; a list of objects (the usual page of records) is passed on as it is."""
    if set(map(type, values)) == {dict}:  # one pass in C: a Python-level all() cost ~10 µs a page of 100
        return values
    return [as_item(value) for value in values]


def short(value: Any, limit: int = 160) -> str:
    """A one-line excerpt of an item for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
