"""Per-connection usage: calls in 24 h, success rate, recent errors, status, hourly buckets."""

from __future__ import annotations

import time

import pytest

from flowdesk.model import ApiCallMade

from .conftest import WS
from .helpers import BASE, connection

DAY = 86_400.0


def _call(at: float, status: int | None = 200, error: str | None = None, name: str = "crm", **kw) -> ApiCallMade:  # type: ignore[no-untyped-def]
    return ApiCallMade(
        connection=name, method="GET", url=f"{BASE}/customers", status=status, error=error, duration_ms=10, at=at, **kw
    )


@pytest.fixture()
def crm(store):  # type: ignore[no-untyped-def]
    store.add_connection(WS, connection("crm"))
    store.add_connection(WS, connection("billing"))
    return store


def test_connection_usage_counts_the_last_24_hours(crm):
    now = time.time()
    crm.record_api_calls(
        WS,
        [
            _call(now - 2 * DAY, status=500, error="ancient"),
            _call(now - 100),
            _call(now - 50, status=500, error="500 Internal Server Error", attempt=1, entity="customers"),
            _call(now - 10),
            _call(now - 5, status=None, error="timed out after 30 s", attempt=4),
            _call(now - 1, name="billing", status=401, error="401"),
        ],
    )

    usage = crm.connection_usage(WS, "crm")

    assert usage.calls_24h == 4
    assert usage.last_used == pytest.approx(now - 5)
    assert [(e.error, e.status, e.attempt) for e in usage.recent_errors] == [
        ("timed out after 30 s", None, 4),
        ("500 Internal Server Error", 500, 1),
        ("ancient", 500, 1),
    ]
    assert usage.recent_errors[1].entity == "customers"
    assert all(e.connection == "crm" and not e.ok for e in usage.recent_errors)
    assert crm.connection_usage(WS, "billing").calls_24h == 1


def test_success_rate_is_the_share_of_successful_calls(crm):
    now = time.time()
    crm.record_api_calls(
        WS, [_call(now - 40), _call(now - 30), _call(now - 20), _call(now - 10, status=500, error="x")]
    )

    assert crm.connection_usage(WS, "crm").success_rate == 0.75


def test_the_connection_list_shows_the_share_of_successful_calls(crm):
    now = time.time()
    crm.record_api_calls(
        WS, [_call(now - 40), _call(now - 30), _call(now - 20), _call(now - 10, status=500, error="x")]
    )

    assert {c.name: c.success_rate for c in crm.list_connections(WS)}["crm"] == 0.75


def test_an_unused_connection_has_no_usage(crm):
    usage = crm.connection_usage(WS, "crm")

    assert (usage.last_used, usage.calls_24h, usage.success_rate, usage.recent_errors) == (None, 0, None, [])


def test_the_connection_list_carries_usage_and_settings(crm):
    crm.add_connection(
        WS, connection("keyed", auth={"type": "api_key", "key": "k"}, entities=[{"name": "a"}, {"name": "b"}])
    )
    now = time.time()
    crm.record_api_calls(WS, [_call(now - 30, name="keyed"), _call(now - 20, name="keyed", status=429, error="429")])

    info = {c.name: c for c in crm.list_connections(WS)}

    keyed = info["keyed"]
    assert (keyed.service, keyed.base_url, keyed.auth_type, keyed.entity_count) == ("rest", BASE, "api_key", 2)
    assert (keyed.calls_24h, keyed.success_rate) == (2, 0.5)
    assert keyed.last_used == pytest.approx(now - 20)
    assert (info["crm"].calls_24h, info["crm"].success_rate, info["crm"].last_used) == (0, None, None)


def test_status_goes_from_untested_to_connected_to_failing(crm):
    def status() -> str:
        return {c.name: c.last_status for c in crm.list_connections(WS)}["crm"]

    assert status() == "untested"
    crm.record_test(WS, "crm", ok=True)
    assert status() == "connected"
    crm.record_api_calls(WS, [_call(time.time() + 1, status=503, error="503")])  # a failed call after the test
    assert status() == "failing"
    crm.record_test(WS, "crm", ok=True)
    assert status() == "failing", "the failed call is still newer than this test"
    crm.record_api_calls(WS, [_call(time.time() + 2)])
    assert status() == "connected"
    crm.record_test(WS, "crm", ok=False)
    crm.record_api_calls(WS, [_call(time.time() - 60)])  # an older success does not hide the newer failed test
    assert status() == "failing"
    assert {c.name: c.last_status for c in crm.list_connections(WS)}["billing"] == "untested"


def test_hourly_usage_buckets_calls_by_utc_hour(crm):
    hour = (int(time.time()) // 3600 - 5) * 3600.0
    crm.record_api_calls(
        WS,
        [
            _call(hour - 10),  # before `since`
            _call(hour + 1),
            _call(hour + 1800, status=500, error="500"),
            _call(hour + 3599),
            _call(hour + 3 * 3600 + 5, status=None, error="timeout"),
            _call(hour + 3 * 3600 + 6, name="billing"),
        ],
    )

    buckets = crm.hourly_usage(WS, "crm", since=hour)

    assert [(b.start, b.calls, b.errors) for b in buckets] == [(hour, 3, 1), (hour + 3 * 3600, 1, 1)]


def test_call_history_of_one_workspace_stays_there(crm):
    crm.ensure_workspace("Team")
    crm.add_connection("Team", connection("crm"))

    crm.record_api_calls("Team", [_call(time.time(), status=500, error="500")])

    assert crm.connection_usage(WS, "crm").calls_24h == 0
    assert crm.connection_usage("Team", "crm").calls_24h == 1
