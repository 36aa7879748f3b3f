"""The ``/api`` handlers: thin translations between query strings/JSON and :class:`CrmState`.

Four list endpoints serve the same customers with the four pagination styles flowdesk speaks (offset, page
number, cursor, ``Link`` header), so each style can be tried and tested against identical data.
Parameters are checked strictly: a bad value is a 400 naming the parameter, never a silent default, because
a client bug hidden by a lenient demo would surface later against a real API.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from aiohttp import web

from flowdesk.demo._catalog import CUSTOMER_MAX, CUSTOMER_PAGE, ITEM_MAX, ITEM_PAGE
from flowdesk.demo._data import CUSTOMER_STATUSES, REGION_CODES, iso, parse_iso
from flowdesk.demo._responses import ApiError, json_response, read_json_object
from flowdesk.demo._state import CrmState, regions

SERVICE_NAME = "flowdesk demo CRM"
GARBAGE_BODY = "<html><body>Oops: this is not JSON {\"data\": [</body></html>"


def int_param(request: web.Request, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole-number query parameter.

    Raises:
        ApiError: 400 naming the parameter when it is not a whole number or out of range.
    """
    raw = request.query.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400, "invalid_parameter", f"{name} must be a whole number, got {raw!r}", parameter=name
        ) from None
    if value < minimum:
        raise ApiError(400, "invalid_parameter", f"{name} must be at least {minimum}, got {value}", parameter=name)
    if maximum is not None and value > maximum:
        raise ApiError(400, "invalid_parameter", f"{name} must be at most {maximum}, got {value}", parameter=name)
    return value


def choice_param(request: web.Request, name: str, allowed: frozenset[str] | tuple[str, ...]) -> str | None:
    """An optional parameter that must be one of ``allowed``. Raises: ApiError 400 naming it."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        message = f"{name} must be one of {', '.join(sorted(allowed))}, got {raw!r}"
        raise ApiError(400, "invalid_parameter", message, parameter=name)
    return raw


def encode_cursor(kind: str, position: int) -> str:
    """Opaque on purpose: clients must pass it back as it is, not compute it."""
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode().rstrip("=")


def decode_cursor(raw: str, kind: str) -> int:
    """Raises: ApiError 400 (parameter ``cursor``) for a cursor this server did not issue."""
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        prefix, _, number = text.partition(":")
        position = int(number)
        if prefix != kind or position < 0:
            raise ValueError(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "invalid_parameter", "cursor is not one this endpoint issued", parameter="cursor") from None
    return position


class CrmApi:
    """The handlers of one server, bound to its state."""

    def __init__(self, state: CrmState) -> None:
        self.state = state

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api", self.health),
            web.get("/api/", self.health),
            web.get("/api/health", self.health),
            web.get("/api/garbage", self.garbage),
            web.get("/api/customers", self.list_customers),
            web.post("/api/customers", self.create_customer),
            web.get("/api/customers/pages", self.customer_pages),
            web.get("/api/customers/cursor", self.customer_cursor),
            web.get("/api/customers/linked", self.customer_linked),
            web.get("/api/customers/changes", self.customer_changes),
            web.get(r"/api/customers/{id:\d+}", self.get_customer),
            web.patch(r"/api/customers/{id:\d+}", self.update_customer),
            web.delete(r"/api/customers/{id:\d+}", self.delete_customer),
            web.get("/api/orders", self.list_orders),
            web.post("/api/orders", self.create_order),
            web.get("/api/regions", self.list_regions),
            web.post("/api/media", self.upload_media),
            web.post("/api/media/{media_id}/publish", self.publish_media),
            web.get("/api/items", self.list_items),
            web.post("/api/items", self.create_item),
            web.get("/api/items/cursor", self.items_cursor),
        ]

    async def health(self, request: web.Request) -> web.Response:
        return json_response({"status": "ok", "service": SERVICE_NAME})

    async def garbage(self, request: web.Request) -> web.Response:
        """Claims JSON but is not, so clients can prove they report a broken body clearly."""
        return web.Response(text=GARBAGE_BODY, content_type="application/json")

    # --- customers --------------------------------------------------------------------------------

    def _filtered(self, request: web.Request) -> list[dict[str, Any]]:
        region = choice_param(request, "region", REGION_CODES)
        status = choice_param(request, "status", CUSTOMER_STATUSES)
        return self.state.list_customers(region, status)

    async def list_customers(self, request: web.Request) -> web.Response:
        offset = int_param(request, "offset", 0)
        limit = int_param(request, "limit", CUSTOMER_PAGE, minimum=1, maximum=CUSTOMER_MAX)
        customers = self._filtered(request)
        page = customers[offset : offset + limit]
        return json_response({"data": page, "total": len(customers), "offset": offset, "limit": limit})

    async def customer_pages(self, request: web.Request) -> web.Response:
        page = int_param(request, "page", 1, minimum=1)
        per_page = int_param(request, "per_page", CUSTOMER_PAGE, minimum=1, maximum=CUSTOMER_MAX)
        customers = self._filtered(request)
        start = (page - 1) * per_page
        return json_response(
            {
                "data": customers[start : start + per_page],
                "page": page,
                "per_page": per_page,
                "total_pages": math.ceil(len(customers) / per_page),
                "total": len(customers),
            }
        )

    async def customer_cursor(self, request: web.Request) -> web.Response:
        raw = request.query.get("cursor", "")
        after = decode_cursor(raw, "customers") if raw else 0
        limit = int_param(request, "limit", CUSTOMER_PAGE, minimum=1, maximum=CUSTOMER_MAX)
        remaining = [c for c in self._filtered(request) if c["id"] > after]
        page, has_more = remaining[:limit], len(remaining) > limit
        next_cursor = encode_cursor("customers", page[-1]["id"]) if has_more else None
        return json_response({"data": page, "next_cursor": next_cursor, "has_more": has_more})

    async def customer_linked(self, request: web.Request) -> web.Response:
        page = int_param(request, "page", 1, minimum=1)
        per_page = int_param(request, "per_page", CUSTOMER_PAGE, minimum=1, maximum=CUSTOMER_MAX)
        customers = self._filtered(request)
        start = (page - 1) * per_page
        headers = {"X-Total-Count": str(len(customers))}
        if start + per_page < len(customers):
            # absolute, and keeping the other parameters (filters, ?api_key=) so the URL works as it is
            next_url = request.url.update_query(page=page + 1, per_page=per_page)
            headers["Link"] = f'<{next_url}>; rel="next"'
        return json_response({"data": customers[start : start + per_page]}, headers=headers)

    async def customer_changes(self, request: web.Request) -> web.Response:
        raw = request.query.get("since", "")
        if not raw:
            raise ApiError(400, "invalid_parameter", "since is required (an ISO 8601 timestamp)", parameter="since")
        since = parse_iso(raw)
        if since is None:
            message = f"since must be an ISO 8601 timestamp such as 2025-01-31T12:00:00Z, got {raw!r}"
            raise ApiError(400, "invalid_parameter", message, parameter="since")
        changed = self.state.changes_since(since)
        return json_response({"data": changed, "now": iso(self.state.stamp())})

    async def get_customer(self, request: web.Request) -> web.Response:
        return json_response(self.state.customer(int(request.match_info["id"])))

    async def create_customer(self, request: web.Request) -> web.Response:
        customer = self.state.create_customer(await read_json_object(request))
        return json_response(customer, 201, {"Location": f"/api/customers/{customer['id']}"})

    async def update_customer(self, request: web.Request) -> web.Response:
        customer_id = int(request.match_info["id"])
        self.state.customer(customer_id)  # 404 before complaining about the body
        return json_response(self.state.update_customer(customer_id, await read_json_object(request)))

    async def delete_customer(self, request: web.Request) -> web.Response:
        self.state.delete_customer(int(request.match_info["id"]))
        return web.Response(status=204)

    # --- orders, regions, media -------------------------------------------------------------------

    async def list_orders(self, request: web.Request) -> web.Response:
        raw_customer = request.query.get("customer_id", "")
        customer_id = int_param(request, "customer_id", 0, minimum=1) if raw_customer else None
        offset = int_param(request, "offset", 0)
        limit = int_param(request, "limit", CUSTOMER_PAGE, minimum=1, maximum=CUSTOMER_MAX)
        orders = self.state.list_orders(customer_id)
        page = orders[offset : offset + limit]
        return json_response({"data": page, "total": len(orders), "offset": offset, "limit": limit})

    async def create_order(self, request: web.Request) -> web.Response:
        return json_response(self.state.create_order(await read_json_object(request)), 201)

    async def list_regions(self, request: web.Request) -> web.Response:
        return json_response({"data": regions()})

    async def upload_media(self, request: web.Request) -> web.Response:
        await request.read()  # any body is accepted: the upload itself is not the point of the scenario
        return json_response({"media": dict(self.state.upload_media())}, 201)

    async def publish_media(self, request: web.Request) -> web.Response:
        return json_response(dict(self.state.publish_media(request.match_info["media_id"])))

    # --- items (the large data set) ---------------------------------------------------------------

    async def list_items(self, request: web.Request) -> web.Response:
        offset = int_param(request, "offset", 0)
        limit = int_param(request, "limit", ITEM_PAGE, minimum=1, maximum=ITEM_MAX)
        page = self.state.items(offset, limit)
        return json_response({"data": page, "total": self.state.item_total, "offset": offset, "limit": limit})

    async def items_cursor(self, request: web.Request) -> web.Response:
        raw = request.query.get("cursor", "")
        offset = decode_cursor(raw, "items") if raw else 0
        limit = int_param(request, "limit", ITEM_PAGE, minimum=1, maximum=ITEM_MAX)
        page = self.state.items(offset, limit)
        has_more = offset + len(page) < self.state.item_total
        next_cursor = encode_cursor("items", offset + len(page)) if has_more else None
        return json_response({"data": page, "next_cursor": next_cursor, "has_more": has_more})

    async def create_item(self, request: web.Request) -> web.Response:
        return json_response(self.state.create_item(await read_json_object(request)), 201)
