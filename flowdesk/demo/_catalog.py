"""Every operation of the demo API, described once.

The OpenAPI document (:mod:`._openapi`) and the demo connection's entities (:mod:`._connection`) are both
read from this table, so what discovery imports from ``/openapi.json`` and what "Open the demo workspace"
adds cannot drift apart. The handlers in :mod:`._routes` implement the same paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from flowdesk.demo._data import (
    CUSTOMER_FIELDS,
    CUSTOMER_STATUSES,
    ITEM_FIELDS,
    ORDER_FIELDS,
    REGION_FIELDS,
    REGIONS,
    FieldDoc,
)

CUSTOMER_PAGE = 50
CUSTOMER_MAX = 500
ITEM_PAGE = 100
ITEM_MAX = 1000

Envelope = Literal["offset", "pages", "cursor", "linked", "changes", "list", "record", "media", "health", "empty"]


@dataclass(frozen=True)
class Param:
    """A query or path parameter."""

    name: str
    location: Literal["query", "path"]
    type: str
    description: str
    required: bool = False
    default: Any = None
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    format: str | None = None


@dataclass(frozen=True)
class Operation:
    """One endpoint: where it is, what it takes, how its answer is shaped and paged.

    ``envelope`` names the answer's shape around ``record`` (see :mod:`._openapi`); ``data_path`` and
    ``pagination`` are in the connection format; ``in_connection`` is false for operations the demo
    connection leaves out (they still appear in the OpenAPI document).
    """

    name: str
    method: str
    path: str
    summary: str
    envelope: Envelope
    record: tuple[FieldDoc, ...] | None = None
    params: tuple[Param, ...] = ()
    body: str | None = None
    status: int = 200
    data_path: str | None = None
    pagination: dict[str, Any] | None = None
    tag: str = "customers"
    in_connection: bool = True


def _offset(limit: int, maximum: int) -> tuple[Param, ...]:
    return (
        Param("offset", "query", "integer", "records to skip", default=0, minimum=0),
        Param("limit", "query", "integer", "records per page", default=limit, minimum=1, maximum=maximum),
    )


def _cursor(limit: int, maximum: int) -> tuple[Param, ...]:
    return (
        Param("cursor", "query", "string", "next_cursor of the previous page; leave out for the first page"),
        Param("limit", "query", "integer", "records per page", default=limit, minimum=1, maximum=maximum),
    )


MEDIA_FIELDS = (
    FieldDoc("id", "string", None, "media id, such as m-1"),
    FieldDoc("status", "string", None, "uploaded or published"),
)

_CUSTOMER_ID = Param("id", "path", "integer", "customer number", required=True)
_FILTERS = (
    Param("region", "query", "string", "only customers of this region", enum=tuple(c for c, _ in REGIONS)),
    Param("status", "query", "string", "only customers with this status", enum=CUSTOMER_STATUSES),
)
_PAGES = (
    Param("page", "query", "integer", "page number, from 1", default=1, minimum=1),
    Param("per_page", "query", "integer", "records per page", default=CUSTOMER_PAGE, minimum=1, maximum=CUSTOMER_MAX),
)

_CUSTOMER_OFFSET = {
    "type": "offset",
    "offset_param": "offset",
    "limit_param": "limit",
    "limit": CUSTOMER_PAGE,
    "total_path": "$.total",
}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "health", "GET", "/health", "Is the API up (the connection test)", "health",
        tag="service", in_connection=False,
    ),
    Operation(
        "list_customers", "GET", "/customers", "Customers, paged by offset and limit", "offset",
        record=CUSTOMER_FIELDS, params=_offset(CUSTOMER_PAGE, CUSTOMER_MAX) + _FILTERS,
        data_path="$.data", pagination=_CUSTOMER_OFFSET,
    ),
    Operation(
        "list_customers_pages", "GET", "/customers/pages", "Customers, paged by page number", "pages",
        record=CUSTOMER_FIELDS, params=_PAGES + _FILTERS, data_path="$.data",
        pagination={
            "type": "page", "page_param": "page", "size_param": "per_page", "size": CUSTOMER_PAGE, "start": 1,
            "total_pages_path": "$.total_pages",
        },
    ),
    Operation(
        "list_customers_cursor", "GET", "/customers/cursor", "Customers, paged by an opaque cursor", "cursor",
        record=CUSTOMER_FIELDS, params=_cursor(CUSTOMER_PAGE, CUSTOMER_MAX) + _FILTERS, data_path="$.data",
        pagination={
            "type": "cursor", "cursor_param": "cursor", "next_cursor_path": "$.next_cursor",
            "limit_param": "limit", "limit": CUSTOMER_PAGE,
        },
    ),
    Operation(
        "list_customers_linked", "GET", "/customers/linked",
        "Customers, the next page's URL in the Link header (RFC 8288)", "linked",
        record=CUSTOMER_FIELDS, params=(_PAGES[1], *_FILTERS), data_path="$.data",
        pagination={"type": "link_header"},
    ),
    Operation(
        "get_customer", "GET", "/customers/{id}", "One customer", "record",
        record=CUSTOMER_FIELDS, params=(_CUSTOMER_ID,), data_path="$",
    ),
    Operation(
        "create_customer", "POST", "/customers", "Add a customer (name and email required)", "record",
        record=CUSTOMER_FIELDS, body="NewCustomer", status=201, data_path="$",
    ),
    Operation(
        "update_customer", "PATCH", "/customers/{id}", "Change a customer; updated_at moves to now", "record",
        record=CUSTOMER_FIELDS, params=(_CUSTOMER_ID,), body="CustomerUpdate", data_path="$",
    ),
    Operation(
        "delete_customer", "DELETE", "/customers/{id}", "Remove a customer", "empty",
        params=(_CUSTOMER_ID,), status=204, in_connection=False,
    ),
    Operation(
        "customer_changes", "GET", "/customers/changes",
        "Customers changed after `since`; pass the answer's `now` as `since` next time", "changes",
        record=CUSTOMER_FIELDS, data_path="$.data",
        params=(Param("since", "query", "string", "ISO 8601 timestamp", required=True, format="date-time"),),
    ),
    Operation(
        "list_orders", "GET", "/orders", "Orders, optionally of one customer, paged by offset", "offset",
        record=ORDER_FIELDS, data_path="$.data", tag="orders", pagination=_CUSTOMER_OFFSET,
        params=(
            Param("customer_id", "query", "integer", "only this customer's orders", minimum=1),
            *_offset(CUSTOMER_PAGE, CUSTOMER_MAX),
        ),
    ),
    Operation(
        "create_order", "POST", "/orders", "Place an order for an existing customer", "record",
        record=ORDER_FIELDS, body="NewOrder", status=201, data_path="$", tag="orders",
    ),
    Operation(
        "list_regions", "GET", "/regions", "Region codes and names (reference data for lookups)", "list",
        record=REGION_FIELDS, data_path="$.data", tag="reference",
    ),
    Operation(
        "upload_media", "POST", "/media", "Step 1 of 2: upload media; answers its id", "media",
        record=MEDIA_FIELDS, body="MediaUpload", status=201, data_path="$.media", tag="media",
    ),
    Operation(
        "publish_media", "POST", "/media/{mediaId}/publish", "Step 2 of 2: publish uploaded media", "record",
        record=MEDIA_FIELDS, data_path="$", tag="media",
        params=(Param("mediaId", "path", "string", "the id upload_media answered", required=True),),
    ),
    Operation(
        "list_items", "GET", "/items", "Many items (a large data set), paged by offset", "offset",
        record=ITEM_FIELDS, params=_offset(ITEM_PAGE, ITEM_MAX), data_path="$.data", tag="items",
        pagination={
            "type": "offset",
            "offset_param": "offset",
            "limit_param": "limit",
            "limit": ITEM_PAGE,
            "total_path": "$.total",
        },
    ),
    Operation(
        "list_items_cursor", "GET", "/items/cursor", "Many items, paged by an opaque cursor", "cursor",
        record=ITEM_FIELDS, params=_cursor(ITEM_PAGE, ITEM_MAX), data_path="$.data", tag="items",
        pagination={
            "type": "cursor", "cursor_param": "cursor", "next_cursor_path": "$.next_cursor",
            "limit_param": "limit", "limit": ITEM_PAGE,
        },
    ),
    Operation(
        "create_item", "POST", "/items", "Add an item (any JSON object; answered with its new id)", "record",
        record=ITEM_FIELDS, body="NewItem", status=201, data_path="$", tag="items",
    ),
)  # fmt: skip
