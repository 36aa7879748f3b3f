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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlencode, urlsplit

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


@dataclass(slots=True)
class Outgoing:
    """One request, built and encoded, before auth: what either wire (aiohttp or httpx) sends.

    ``url`` is absolute with its query; ``headers`` are the request's own (the connection's defaults and
    its auth are added by the wire); ``content`` is the encoded body.
    """

    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None = None


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
    base_url: str,
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
) -> Outgoing:
    """The request for one call. ``extra_query`` (pagination) wins over everything; ``url`` (a followed
    ``next`` link) replaces path and query. A relative path is joined to ``base_url`` as httpx joins a
    client's ``base_url`` (``/api`` + ``/customers`` → ``/api/customers``).

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
    address = _join(base_url, target, query_values)
    out = Outgoing(verb, address, header_values or {})
    if files:
        fields = _form(payload, "multipart") if payload is not None else None
        _encode_multipart(out, {name: _file(value) for name, value in files.items()}, fields)
    elif payload is not None:
        if kind == "json":
            try:  # as httpx encodes json=: compact, UTF-8, no NaN
                text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise UserError(f"the JSON body cannot be encoded: {exc}") from exc
            _set_body(out, text.encode(), "application/json")
        elif kind == "form":
            _set_body(out, urlencode(_form(payload, kind), doseq=True).encode(), "application/x-www-form-urlencoded")
        elif kind == "multipart":  # fields as file parts without a file name: multipart/form-data even with no file
            fields = _form(payload, kind)
            _encode_multipart(out, [(name, (None, text)) for name, value in fields.items() for text in _as_list(value)])
        else:
            _set_body(
                out,
                payload if isinstance(payload, bytes) else to_text(payload).encode(),
                "text/plain; charset=utf-8",
            )
    return out


def _join(base_url: str, target: str, query: Mapping[str, Any] | None) -> str:
    parts = urlsplit(target) if ":" in target.partition("?")[0] else None  # most paths have no scheme
    if parts is not None and parts.scheme:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UserError(f"invalid URL {target!r}: it must start with http:// or https:// and name a host")
        address = target
    else:
        address = base_url.rstrip("/") + "/" + target.lstrip("/")
    if query:
        address += ("&" if "?" in address else "?") + urlencode(query, doseq=True)
    return address


def _set_body(out: Outgoing, content: bytes, content_type: str) -> None:
    out.content = content
    if not any(name.lower() == "content-type" for name in out.headers):
        out.headers["Content-Type"] = content_type


def _encode_multipart(out: Outgoing, files: Any, fields: Mapping[str, Any] | None = None) -> None:
    """multipart/form-data as httpx encodes it (boundary, file names, content types)."""
    import httpx

    request = httpx.Request(out.method, "http://multipart.invalid/", files=files, data=fields)
    _set_body(out, request.read(), request.headers["content-type"])


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
