"""Building one HTTP request from an entity, call-time values and an item.

Entity values are defaults; call-time values override them; every string in them is a ``{field}``
template filled from the item (a row of a flow) and the flow's variables. Path placeholders are
URL-encoded, so an id with a ``/`` or ``?`` cannot change which resource is called.
"""

from __future__ import annotations

import enum
import json
import re
from collections import ChainMap
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import httpx

from flowdesk.model.connection import Entity
from flowdesk.model.errors import UserError
from flowdesk.model.templating import lookup, render


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset.UNSET
"""``body=UNSET`` (the default) means "the entity's body"; ``body=None`` means "no body"."""

BODY_TYPES = ("json", "form", "multipart", "text")

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][\w\-]*(?:\.[\w\-]+|\[\d+\])*)\}")  # as in model.templating


@lru_cache(maxsize=1024)
def _compile_path(path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Literal parts and placeholder names of a path template (``len(literals) == len(names) + 1``)."""
    literals: list[str] = []
    names: list[str] = []
    buffer, pos = "", 0
    for match in _PLACEHOLDER.finditer(path):
        buffer += path[pos : match.start()]
        pos = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            buffer += token[0]
        else:
            literals.append(buffer)
            names.append(match.group(1))
            buffer = ""
    literals.append(buffer + path[pos:])
    return tuple(literals), tuple(names)


def to_text(value: Any) -> str:
    """A value as it goes into a URL, header or form field (JSON for lists and objects)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def fill_path(
    path: str,
    params: Mapping[str, Any] | None,
    item: Mapping[str, Any] | None,
    variables: Mapping[str, Any] | None,
) -> str:
    """``path`` with each ``{name}`` replaced by the URL-encoded value from params, the item or the variables.

    Raises:
        TemplateError: a placeholder matches nothing.
    """
    literals, names = _compile_path(path)
    if not names:
        return literals[0]
    scope: Mapping[str, Any] = ChainMap(dict(params or {}), dict(item or {}))
    out = [literals[0]]
    for name, literal in zip(names, literals[1:], strict=True):
        out.append(quote(to_text(lookup(name, scope, variables)), safe=""))
        out.append(literal)
    return "".join(out)


def build_request(
    http: httpx.AsyncClient,
    entity: Entity | None,
    *,
    method: str | None,
    path: str | None,
    params: Mapping[str, Any] | None,
    query: Mapping[str, Any] | None,
    headers: Mapping[str, str] | None,
    body: Any,
    body_type: str | None,
    files: Mapping[str, Any] | None,
    item: Mapping[str, Any] | None,
    variables: Mapping[str, Any] | None,
    body_from_item: bool,
    extra_query: Mapping[str, Any] | None = None,
    url: str | None = None,
) -> httpx.Request:
    """The request for one call. ``extra_query`` (pagination) wins over everything; ``url`` (a followed
    ``next`` link) replaces path and query.

    Raises:
        TemplateError: a placeholder matches nothing.
        UserError: a body that does not fit its body type, an unknown body type, a malformed URL.
    """
    verb = (method or (entity.method if entity else "GET")).upper()
    if url is None:
        rendered_params = {k: render(v, item, variables) for k, v in params.items()} if params else None
        target = fill_path(
            path if path is not None else (entity.path if entity else ""), rendered_params, item, variables
        )
        query_values = _query(entity, query, item, variables, extra_query)
    else:
        target, query_values = url, None
    header_values = _headers(entity, headers, item, variables)
    kind = body_type or (entity.body_type if entity else "json")
    if kind not in BODY_TYPES:
        raise UserError(f"unknown body type {kind!r} (expected one of {', '.join(BODY_TYPES)})")
    if body_from_item:
        payload: Any = dict(item or {})
    elif body is not UNSET:
        payload = render(body, item, variables)
    elif entity is not None and entity.body is not None:
        payload = render(entity.body, item, variables)
    else:
        payload = None
    kwargs: dict[str, Any] = {}
    if files:
        kwargs["files"] = {name: _file(value) for name, value in files.items()}
        if payload is not None:
            kwargs["data"] = _form(payload, "multipart")
    elif payload is not None:
        if kind == "json":
            kwargs["json"] = payload
        elif kind in ("form", "multipart"):
            fields = _form(payload, kind)
            if kind == "form":
                kwargs["data"] = fields
            else:  # fields as file parts without a file name: multipart/form-data even with no file
                kwargs["files"] = [(name, (None, text)) for name, value in fields.items() for text in _as_list(value)]
        else:
            kwargs["content"] = payload if isinstance(payload, bytes) else to_text(payload)
            if header_values is None or not any(k.lower() == "content-type" for k in header_values):
                header_values = {**(header_values or {}), "Content-Type": "text/plain; charset=utf-8"}
    try:
        return http.build_request(verb, target, params=query_values, headers=header_values, **kwargs)
    except httpx.InvalidURL as exc:
        raise UserError(f"invalid URL {target!r}: {exc}") from exc


def _query(
    entity: Entity | None,
    query: Mapping[str, Any] | None,
    item: Mapping[str, Any] | None,
    variables: Mapping[str, Any] | None,
    extra: Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    base = entity.query if entity is not None else None
    if not base and not query and not extra:
        return None
    merged: dict[str, Any] = {}
    if base:
        merged.update(base)
    if query:
        merged.update(query)
    values = {k: v for k, v in render(merged, item, variables).items() if v is not None} if merged else {}
    if extra:
        values.update(extra)
    return {k: to_text(v) if not isinstance(v, list) else [to_text(x) for x in v] for k, v in values.items()}


def _headers(
    entity: Entity | None,
    headers: Mapping[str, str] | None,
    item: Mapping[str, Any] | None,
    variables: Mapping[str, Any] | None,
) -> dict[str, str] | None:
    base = entity.headers if entity is not None else None
    if not base and not headers:
        return None
    merged: dict[str, str] = {}
    for source in (base, headers):
        for name, value in (source or {}).items():
            for existing in [k for k in merged if k.lower() == name.lower()]:
                del merged[existing]  # a call-time header replaces the entity's, whatever its case
            merged[name] = to_text(render(value, item, variables))
    return merged


def _form(payload: Any, kind: str) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise UserError(f"a {kind} body must be an object of fields, not {type(payload).__name__}")
    return {
        str(k): [to_text(x) for x in v] if isinstance(v, list) else to_text(v)
        for k, v in payload.items()
        if v is not None
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _file(value: Any) -> Any:
    """httpx's file forms pass through; a path is read, so it can be re-sent on a retry."""
    if isinstance(value, Path):
        return (value.name, value.read_bytes())
    if isinstance(value, str):
        return ("file", value.encode())
    return value
