"""The demo CRM's records: generated from the seed, so every server (and every test run) holds the same data.

Customers and orders are few and built once per server; items are many (100,000 by default), so each is
computed from its number when a page asks for it, and starting a server stays instant.
The field tables describe each record once, for both the OpenAPI document and the connection's schemas.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple


class FieldDoc(NamedTuple):
    """One field of a record: JSON type, optional JSON Schema format, and what it means."""

    name: str
    type: str
    format: str | None
    description: str


CUSTOMER_FIELDS = (
    FieldDoc("id", "integer", None, "customer number, from 1"),
    FieldDoc("name", "string", None, "full name"),
    FieldDoc("email", "string", "email", "e-mail address"),
    FieldDoc("region", "string", None, "region code (EU, US, APAC, LATAM); see /regions"),
    FieldDoc("status", "string", None, "active or inactive"),
    FieldDoc("created_at", "string", "date-time", "when the customer was created (UTC)"),
    FieldDoc("updated_at", "string", "date-time", "last change (UTC); /customers/changes filters on it"),
)
ORDER_FIELDS = (
    FieldDoc("id", "integer", None, "order number"),
    FieldDoc("customer_id", "integer", None, "the customer who ordered"),
    FieldDoc("amount", "number", None, "total amount"),
    FieldDoc("currency", "string", None, "ISO 4217 currency code"),
    FieldDoc("status", "string", None, "open, paid or shipped"),
    FieldDoc("created_at", "string", "date-time", "when the order was placed (UTC)"),
)
REGION_FIELDS = (
    FieldDoc("code", "string", None, "region code used by customers"),
    FieldDoc("name", "string", None, "readable name"),
)
ITEM_FIELDS = (
    FieldDoc("id", "integer", None, "item number, from 1"),
    FieldDoc("sku", "string", None, "stock keeping unit"),
    FieldDoc("name", "string", None, "product name"),
    FieldDoc("price", "number", None, "unit price"),
    FieldDoc("qty", "integer", None, "quantity in stock"),
)

REGIONS = (("EU", "Europe"), ("US", "United States"), ("APAC", "Asia-Pacific"), ("LATAM", "Latin America"))
REGION_CODES = frozenset(code for code, _ in REGIONS)
CUSTOMER_STATUSES = ("active", "inactive")
ORDER_STATUSES = ("open", "paid", "shipped")

_FIRST = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luca",
    "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wen", "Yara",
)  # fmt: skip
_LAST = (
    "Andersen", "Baptiste", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Silva", "Tanaka",
)  # fmt: skip
_ADJECTIVES = ("Compact", "Deluxe", "Eco", "Heavy", "Light", "Modular", "Portable", "Rugged", "Smart", "Classic")
_NOUNS = ("Bracket", "Cable", "Drill", "Hinge", "Lamp", "Panel", "Pump", "Sensor", "Switch", "Valve", "Widget")

_DATA_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""Generated timestamps fall in 2024 and early 2025, safely before any real "now"."""


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (microseconds only when there are any)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> datetime | None:
    """A timestamp from a query string (naive means UTC); ``None`` when it cannot be read.

    An unescaped ``+`` in a query string arrives as a space, so ``…T10:00:00 00:00`` is read as ``+00:00``.
    """
    for candidate in (text.strip(), text.strip().replace(" ", "+")):
        try:
            moment = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return None


def generate_customers(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` customers with ids 1..count, identical for the same seed."""
    rng = random.Random(f"{seed}:customers")
    customers: list[dict[str, Any]] = []
    for number in range(1, count + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        created = _DATA_EPOCH + timedelta(seconds=rng.randrange(365 * 86400))
        updated = created + timedelta(seconds=rng.randrange(120 * 86400))
        customers.append(
            {
                "id": number,
                "name": f"{first} {last}",
                "email": f"{first}.{last}.{number}@example.com".lower(),
                "region": rng.choice(REGIONS)[0],
                "status": "active" if rng.random() < 0.8 else "inactive",
                "created_at": iso(created),
                "updated_at": iso(updated),
            }
        )
    return customers


def generate_orders(customers: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Zero to three orders per customer, placed after the customer was created."""
    rng = random.Random(f"{seed}:orders")
    orders: list[dict[str, Any]] = []
    for customer in customers:
        created = datetime.fromisoformat(customer["created_at"])
        for _ in range(rng.randrange(4)):
            placed = created + timedelta(seconds=rng.randrange(90 * 86400))
            orders.append(
                {
                    "id": len(orders) + 1,
                    "customer_id": customer["id"],
                    "amount": round(rng.uniform(5, 500), 2),
                    "currency": "EUR",
                    "status": rng.choice(ORDER_STATUSES),
                    "created_at": iso(placed),
                }
            )
    return orders


def make_item(number: int, seed: int) -> dict[str, Any]:
    """Item ``number`` (from 1), computed from its number alone: no table of 100,000 items is ever built."""
    mixed = (number * 2654435761 + seed * 40503) & 0xFFFFFFFF
    return {
        "id": number,
        "sku": f"SKU-{number:06d}",
        "name": f"{_ADJECTIVES[mixed % len(_ADJECTIVES)]} {_NOUNS[(mixed >> 8) % len(_NOUNS)]}",
        "price": ((mixed >> 4) % 100_000) / 100,
        "qty": (mixed >> 12) % 500,
    }
