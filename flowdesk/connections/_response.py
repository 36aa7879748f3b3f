"""What a call returns: the response with its body parsed, and the result of a connection test."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from flowdesk.model.errors import InvalidResponseError
from flowdesk.model.jsonpath import find_all

PREVIEW_RECORDS = 5
PREVIEW_TEXT = 500
PREVIEW_KEYS = 30


@dataclass(slots=True, weakref_slot=True)
class ApiResponse:
    """One finished call.

    ``body`` is the parsed JSON, else the text (``None`` when empty); ``url`` is redacted; ``elapsed_ms``
    is the last attempt's time; ``attempts`` counts every try; ``size`` is the body's length in bytes;
    ``links`` maps each ``Link`` header relation (``next``…) to an absolute URL.

    A body spooled to disk (``ConnectionClient.send(spool_over=…)``) is in ``body_file``, unparsed: ``body``
    is then ``None`` and ``is_json`` is guessed from the content type. The client deletes that file when this
    response is garbage-collected (or at exit): copy it to keep it.
    """

    status: int
    headers: Mapping[str, str]
    body: Any
    elapsed_ms: float
    url: str
    attempts: int
    size: int
    method: str = "GET"
    content_type: str = ""
    is_json: bool = False
    links: Mapping[str, str] = field(default_factory=dict)
    body_file: Path | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def spooled(self) -> bool:
        """The body is in :attr:`body_file`, not in memory."""
        return self.body_file is not None

    def records(self, data_path: str | None) -> list[Any]:
        """The records at ``data_path`` (``None``/``$``: the whole body; a list is its elements).

        Raises:
            InvalidResponseError: the body is not JSON although a data path was asked for, or the path
                matches nothing in it (the message lists the top-level fields to help fix the path), or
                the body was spooled to a file and so never parsed.
        """
        if self.body_file is not None:
            raise InvalidResponseError(
                f"{self.method} {self.url}: the body ({self.size:,} bytes) was written to {self.body_file}, "
                "not parsed, so its records cannot be listed",
                hint="send without spooling, or parse the file yourself",
                method=self.method,
                url=self.url,
                status=self.status,
            )
        body = self.body
        if body is None:
            return []
        if not self.is_json:
            if data_path and data_path != "$":
                raise InvalidResponseError(
                    f"{self.method} {self.url} answered {self.content_type or 'without a content type'}, not JSON, "
                    f"so there are no records at {data_path}",
                    hint="check the entity's path (an HTML page often means a wrong base URL or a login page) "
                    "and its data_path",
                    method=self.method,
                    url=self.url,
                    status=self.status,
                    body_excerpt=str(body)[:300],
                )
            return [body]
        found = find_all(data_path, body)
        if not found:
            fields = ", ".join(list(body)[:12]) if isinstance(body, dict) else type(body).__name__
            raise InvalidResponseError(
                f"{self.method} {self.url}: nothing at data_path {data_path} (the response has: {fields})",
                hint="correct the entity's data_path; `$` takes the whole response",
                method=self.method,
                url=self.url,
                status=self.status,
            )
        if len(found) == 1:  # as model.jsonpath.extract_records, without a second search
            only = found[0]
            return only if isinstance(only, list) else ([] if only is None else [only])
        return found


@dataclass(slots=True)
class TestResult:
    """The outcome of :meth:`ConnectionClient.test`: never an exception, always something to show."""

    __test__ = False  # not a pytest test class

    ok: bool
    status: int | None
    elapsed_ms: float
    preview: Any
    error: str | None
    hint: str | None


def parse_body(content_type: str, charset: str | None, content: bytes) -> tuple[Any, bool]:
    """``(body, is_json)`` of a (decoded) body ``content``: JSON when the content type says so (or, without
    one, when it parses), else the text; ``None`` for an empty body."""
    if not content:
        return None, False
    if looks_like_json(content_type, content):
        try:
            return orjson.loads(content), True
        except orjson.JSONDecodeError:
            try:  # what orjson refuses but Python reads: NaN, Infinity, integers beyond 64 bits
                return json.loads(content), True
            except ValueError:
                pass
    return body_text(charset, content), False


def looks_like_json(content_type: str, head: bytes) -> bool:
    """Whether a body is probably JSON, from its content type or (without one) its first byte."""
    return "json" in content_type or (not content_type and head[:1] in (b"{", b"["))


def body_text(charset: str | None, content: bytes) -> str:
    """``content`` decoded by the response's charset, else as UTF-8 (as httpx's ``response.text``)."""
    try:
        return content.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return content.decode("utf-8", errors="replace")


def preview(value: Any, depth: int = 0) -> Any:
    """A small JSON-able sample of a response for a test result: few records, short strings, few keys."""
    if isinstance(value, str):
        return value if len(value) <= PREVIEW_TEXT else value[:PREVIEW_TEXT] + "…"
    if isinstance(value, list):
        return [preview(v, depth + 1) for v in value[:PREVIEW_RECORDS]] if depth < 4 else f"[{len(value)} items]"
    if isinstance(value, dict):
        if depth >= 4:
            return f"{{{len(value)} fields}}"
        return {str(k): preview(v, depth + 1) for k, v in list(value.items())[:PREVIEW_KEYS]}
    return value
