"""The in-memory CRM one server instance keeps: customers, orders, media and items.

State lives and dies with the server, so each test starts from the same generated data. Timestamps handed
out by :meth:`CrmState.stamp` only ever increase, so "changes since the ``now`` of the last call" can never
miss an update made in the same microsecond.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flowdesk.demo._config import DemoConfig
from flowdesk.demo._data import (
    CUSTOMER_STATUSES,
    REGION_CODES,
    REGIONS,
    generate_customers,
    generate_orders,
    iso,
    make_item,
    parse_iso,
)
from flowdesk.demo._responses import ApiError

_WRITABLE_CUSTOMER_FIELDS = ("name", "email", "region", "status")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CrmState:
    """Records plus the rules for changing them; raises :class:`ApiError` (404/422) on a bad change."""

    def __init__(self, config: DemoConfig, wall_clock: Callable[[], datetime] = _utc_now) -> None:
        self._seed = config.seed
        self._item_count = config.items
        self._wall_clock = wall_clock
        generated = generate_customers(config.customers, config.seed)
        self.customers: dict[int, dict[str, Any]] = {c["id"]: c for c in generated}
        self._next_customer = config.customers + 1
        self.orders: list[dict[str, Any]] = generate_orders(generated, config.seed)
        self.media: dict[str, dict[str, Any]] = {}
        self._created_items: list[dict[str, Any]] = []
        latest = max((c["updated_at"] for c in self.customers.values()), default="")
        self._last_stamp: datetime = parse_iso(latest) or datetime(2024, 1, 1, tzinfo=UTC)

    def stamp(self) -> datetime:
        """Now, but strictly after every stamp given before."""
        now = self._wall_clock()
        if now <= self._last_stamp:
            now = self._last_stamp + timedelta(microseconds=1)
        self._last_stamp = now
        return now

    # --- customers --------------------------------------------------------------------------------

    def list_customers(self, region: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Customers in id order, optionally only one region and/or status."""
        return [
            c
            for c in self.customers.values()
            if (region is None or c["region"] == region) and (status is None or c["status"] == status)
        ]

    def customer(self, customer_id: int) -> dict[str, Any]:
        """Raises: ApiError 404 naming the id."""
        found = self.customers.get(customer_id)
        if found is None:
            raise ApiError(404, "not_found", f"customer {customer_id} does not exist")
        return found

    def create_customer(self, body: dict[str, Any]) -> dict[str, Any]:
        """A new customer from ``name`` and ``email`` (required), ``region`` and ``status`` (optional).

        Unknown fields are ignored, so a whole record from elsewhere can be posted as it is.

        Raises:
            ApiError: 422 naming every missing or invalid field.
        """
        values = _customer_values(body, creating=True)
        moment = iso(self.stamp())
        customer = {
            "id": self._next_customer,
            "name": values["name"],
            "email": values["email"],
            "region": values.get("region", "EU"),
            "status": values.get("status", "active"),
            "created_at": moment,
            "updated_at": moment,
        }
        self._next_customer += 1
        self.customers[customer["id"]] = customer
        return customer

    def update_customer(self, customer_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Change the writable fields given and bump ``updated_at``.

        Raises:
            ApiError: 404 for an unknown customer, 422 naming invalid fields.
        """
        customer = self.customer(customer_id)
        customer.update(_customer_values(body, creating=False))
        customer["updated_at"] = iso(self.stamp())
        return customer

    def delete_customer(self, customer_id: int) -> None:
        """Raises: ApiError 404 naming the id."""
        self.customer(customer_id)
        del self.customers[customer_id]

    def changes_since(self, since: datetime) -> list[dict[str, Any]]:
        """Customers updated strictly after ``since``, in id order."""
        changed: list[dict[str, Any]] = []
        for customer in self.customers.values():
            updated = parse_iso(customer["updated_at"])
            if updated is not None and updated > since:
                changed.append(customer)
        return changed

    # --- orders, media ----------------------------------------------------------------------------

    def list_orders(self, customer_id: int | None = None) -> list[dict[str, Any]]:
        return [o for o in self.orders if customer_id is None or o["customer_id"] == customer_id]

    def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        """An order for an existing customer.

        Raises:
            ApiError: 422 when customer_id or amount is missing or invalid, or the customer does not exist.
        """
        customer_id, amount = body.get("customer_id"), body.get("amount")
        problems: list[str] = []
        fields: list[str] = []
        if not _is_int(customer_id):
            problems.append("customer_id is required (a whole number)")
            fields.append("customer_id")
        elif customer_id not in self.customers:
            problems.append(f"customer {customer_id} does not exist")
            fields.append("customer_id")
        if not _positive_number(amount):
            problems.append("amount is required (a number above 0)")
            fields.append("amount")
        if problems:
            raise ApiError(422, "validation_failed", "; ".join(problems), fields=fields)
        order = {
            "id": len(self.orders) + 1,
            "customer_id": customer_id,
            "amount": amount,
            "currency": str(body.get("currency") or "EUR"),
            "status": "open",
            "created_at": iso(self.stamp()),
        }
        self.orders.append(order)
        return order

    def upload_media(self) -> dict[str, Any]:
        media = {"id": f"m-{len(self.media) + 1}", "status": "uploaded"}
        self.media[media["id"]] = media
        return media

    def publish_media(self, media_id: str) -> dict[str, Any]:
        """Raises: ApiError 404 for an id :meth:`upload_media` never gave."""
        media = self.media.get(media_id)
        if media is None:
            raise ApiError(404, "not_found", f"media {media_id} does not exist (upload it first with POST /media)")
        media["status"] = "published"
        return media

    # --- items ------------------------------------------------------------------------------------

    @property
    def item_total(self) -> int:
        return self._item_count + len(self._created_items)

    def items(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """Items ``offset+1 … offset+limit``: generated ones computed on the fly, then posted ones."""
        end = min(offset + limit, self.item_total)
        generated_end = min(end, self._item_count)
        page = [make_item(number, self._seed) for number in range(offset + 1, generated_end + 1)]
        if end > self._item_count:
            start = max(offset, self._item_count) - self._item_count
            page.extend(self._created_items[start : end - self._item_count])
        return page

    def create_item(self, body: dict[str, Any]) -> dict[str, Any]:
        item = {**body, "id": self.item_total + 1}
        self._created_items.append(item)
        return item


def regions() -> list[dict[str, str]]:
    return [{"code": code, "name": name} for code, name in REGIONS]


def _customer_values(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The writable fields of ``body``, checked; all problems in one 422 so a form can mark every field."""
    values = {name: body[name] for name in _WRITABLE_CUSTOMER_FIELDS if name in body}
    missing = [name for name in ("name", "email") if creating and not _filled(values.get(name))]
    problems = [f"missing required fields: {', '.join(missing)}"] if missing else []
    fields = list(missing)
    for name in ("name", "email"):
        if name in values and name not in missing and not _filled(values[name]):
            problems.append(f"{name} must be a non-empty string")
            fields.append(name)
    email = values.get("email")
    if "email" not in fields and isinstance(email, str) and "@" not in email:
        problems.append(f"email {email!r} is not an e-mail address")
        fields.append("email")
    if "region" in values and values["region"] not in REGION_CODES:
        problems.append(f"region {values['region']!r} is not one of {', '.join(code for code, _ in REGIONS)}")
        fields.append("region")
    if "status" in values and values["status"] not in CUSTOMER_STATUSES:
        problems.append(f"status {values['status']!r} is not one of {', '.join(CUSTOMER_STATUSES)}")
        fields.append("status")
    if problems:
        raise ApiError(422, "validation_failed", "; ".join(problems), fields=fields)
    return {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0
