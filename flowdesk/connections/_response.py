"""What a call returns: the response with its body parsed, and the result of a connection test."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from flowdesk.model.errors import InvalidResponseError
from flowdesk.model.jsonpath import find_all

PREVIEW_RECORDS = 5
PREVIEW_TEXT = 500
PREVIEW_KEYS = 30


@dataclass(slots=True)
class ApiResponse:
    """One finished call.

    ``body`` is the parsed JSON, else the text (``None`` when empty); ``url`` is redacted; ``elapsed_ms``
    is the last attempt's time; ``attempts`` counts every try; ``size`` is the body's length in bytes;
    ``links`` maps each ``Link`` header relation (``next``…) to an absolute URL.
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

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def records(self, data_path: str | None) -> list[Any]:
        """The records at ``data_path`` (``None``/``$``: the whole body; a list is its elements).

        Raises:
            InvalidResponseError: the body is not JSON although a data path was asked for, or the path
                matches nothing in it (the message lists the top-level fields to help fix the path).
        """
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


def parse_body(response: httpx.Response) -> tuple[Any, bool, str]:
    """``(body, is_json, content_type)``: JSON when the content type says so (or, without one, when it
    parses), else the text; ``None`` for an empty body."""
    content = response.content
    content_type = response.headers.get("content-type", "")
    if not content:
        return None, False, content_type
    if "json" in content_type or (not content_type and content[:1] in (b"{", b"[")):
        try:
            return json.loads(content), True, content_type
        except ValueError:
            pass
    return response.text, False, content_type


def links_of(response: httpx.Response) -> dict[str, str]:
    """``rel`` → absolute URL for each ``Link`` header entry (RFC 8288)."""
    if "link" not in response.headers:
        return {}
    base = response.url
    return {rel: str(base.join(link["url"])) for rel, link in response.links.items() if rel and link.get("url")}


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
