"""JSON answers and the one exception handlers raise to answer with an error.

Every answer of the demo API is JSON, errors included (``{"error": code, "message": text}``), because the
client under test must be able to show a server's own explanation; only ``/api/garbage`` breaks that rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

JSON_TYPE = "application/json"


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """Serialise once, compactly: the items endpoints are benchmarked and size matters there."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return web.Response(text=text, status=status, content_type=JSON_TYPE, headers=headers)


class ApiError(Exception):
    """Raised by a handler or middleware to answer ``status`` with a JSON error body.

    ``extra`` fields are added to the body (for example ``parameter`` or ``fields``), so a client can point
    at what was wrong without parsing the message.
    """

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self) -> web.Response:
        return json_response({"error": self.error, "message": self.message, **self.extra}, self.status, self.headers)


_HTTP_ERRORS = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def http_exception_response(request: web.Request, exc: web.HTTPException) -> web.StreamResponse:
    """aiohttp's own errors (no such route, wrong method …) as the same JSON body as ours."""
    if exc.status < 400:
        return exc  # a redirect stays a redirect
    error = _HTTP_ERRORS.get(exc.status, "http_error")
    if exc.status == 404:
        message = f"no endpoint {request.method} {request.path}"
    elif exc.status == 405:
        allowed = ", ".join(sorted(getattr(exc, "allowed_methods", ()) or ()))
        message = f"{request.method} is not allowed on {request.path}" + (f" (allowed: {allowed})" if allowed else "")
    else:
        message = exc.reason
    headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
    return json_response({"error": error, "message": message}, exc.status, headers)


def to_response(request: web.Request, exc: ApiError | web.HTTPException) -> web.StreamResponse:
    """Either kind of failure as the JSON answer the client sees."""
    if isinstance(exc, ApiError):
        return exc.response()
    return http_exception_response(request, exc)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object.

    Raises:
        ApiError: 400 when the body is not JSON or not an object.
    """
    text = await request.text()
    try:
        body = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return body
