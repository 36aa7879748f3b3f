"""Injected failures, ``Retry-After``, rate limits and short-lived OAuth tokens, seen through the CLI and the
API-call history the store keeps (one record per attempt)."""

from __future__ import annotations

import itertools
import threading
import time

from tests.cli.conftest import api_calls, customers_entity, demo_connection, ids_of

SMALL_PAGES = customers_entity(
    "customers",
    "/customers",
    {"type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 25, "total_path": "$.total"},
)
"""250 customers in 10 pages, so faults and limits have something to bite on."""


def test_random_429_and_503_are_retried_until_every_record_arrived(cli, add_connection, demo_server_factory, data_dir):
    server = demo_server_factory(error_rate=0.3, seed=11)
    add_connection(demo_connection(server, name="flaky", retry={"count": 6, "backoff_s": 0.01}, entities=[SMALL_PAGES]))

    result = cli("call", "flaky", "customers", "--all-pages", "--json")

    assert ids_of(result) == list(range(1, 251))
    assert "10 page(s) · 250 record(s)" in result.err
    calls = api_calls(data_dir, "flaky")
    assert len(calls) == server.stats.requests  # every attempt was recorded
    failed = [c for c in calls if not c.ok]
    assert len(failed) == server.stats.failures_injected > 0
    assert {c.status for c in failed} == {429, 503}
    assert max(c.attempt for c in calls) >= 2
    assert sum(c.ok for c in calls) == 10
    usage = cli("connection", "show", "flaky").json()["usage"]
    assert usage["calls_24h"] == len(calls)
    assert 0 < usage["success_rate"] < 1
    assert {e["status"] for e in usage["recent_errors"]} <= {429, 503}


def test_503_after_the_last_retry_fails_naming_the_server_error(cli, add_connection, demo_server, data_dir):
    add_connection(demo_connection(demo_server, retry={"count": 2, "backoff_s": 0.01}))

    result = cli("call", "demo-crm", "list_customers", "-H", "X-Demo-Fail: 503", "--all-pages", "--json")

    assert result.code == 1
    assert "HTTP 503" in result.err
    assert "after 3 attempts" in result.err
    assert "server failed" in result.err
    assert "response: " in result.err and "unavailable" in result.err  # what the server answered
    assert result.out.strip() == "[]"
    calls = api_calls(data_dir, "demo-crm")
    assert [(c.attempt, c.status, c.ok) for c in calls] == [(1, 503, False), (2, 503, False), (3, 503, False)]
    errors = cli("connection", "show", "demo-crm").json()["usage"]["recent_errors"]
    assert sorted(e["attempt"] for e in errors) == [1, 2, 3]
    assert all(e["status"] == 503 and "/api/customers" in e["endpoint"] for e in errors)


def test_retry_after_is_waited_for_instead_of_the_backoff(cli, add_connection, demo_server, data_dir):
    # backoff 0 s, but the forced 429 says Retry-After: 1
    add_connection(demo_connection(demo_server, retry={"count": 1, "backoff_s": 0.0}))

    result = cli("call", "demo-crm", "list_regions", "-H", "X-Demo-Fail: 429")

    assert result.code == 1
    assert "HTTP 429" in result.err and "after 2 attempts" in result.err
    first, second = api_calls(data_dir, "demo-crm")
    assert (first.attempt, second.attempt) == (1, 2)
    # the second attempt started after the announced second, not right away
    assert second.at - first.at >= 0.95


def test_retry_after_longer_than_the_policy_allows_fails_at_once(cli, add_connection, demo_server, data_dir):
    add_connection(demo_connection(demo_server, retry={"count": 5, "backoff_s": 0.01, "max_backoff_s": 0.5}))

    result = cli("call", "demo-crm", "list_regions", "-H", "X-Demo-Fail: 429")

    assert result.code == 1
    assert "HTTP 429" in result.err
    assert "asks to wait 1 s, longer than retry.max_backoff_s" in result.err
    assert [c.attempt for c in api_calls(data_dir, "demo-crm")] == [1]


def test_the_connection_rate_limit_keeps_under_the_servers(cli, add_connection, demo_server_factory, data_dir):
    server = demo_server_factory(rate_limit=10)
    # 5 per second is half the server's 10; with retries off, one 429 would fail the call
    add_connection(
        demo_connection(
            server,
            name="limited",
            rate_limit={"requests": 5, "per_s": 1},
            retry={"count": 0},
            entities=[SMALL_PAGES],
        )
    )

    result = cli("call", "limited", "customers", "--all-pages", "--json")

    assert ids_of(result) == list(range(1, 251))
    assert server.stats.requests == 10
    assert server.stats.rate_limited == 0
    assert all(c.ok for c in api_calls(data_dir, "limited"))


def test_the_servers_rate_limit_headers_are_obeyed_without_a_limit_of_our_own(cli, add_connection, demo_server_factory):
    server = demo_server_factory(rate_limit=6)
    add_connection(demo_connection(server, name="unlimited", retry={"count": 0}, entities=[SMALL_PAGES]))

    result = cli("call", "unlimited", "customers", "--all-pages", "--json")

    # the 6th answer says X-RateLimit-Remaining: 0: the client waits for the reset instead of getting a 429
    assert ids_of(result) == list(range(1, 251))
    assert server.stats.rate_limited == 0


class StepClock:
    """A server clock that moves ``step`` seconds every time it is read: tokens expire after a few calls."""

    def __init__(self, step: float) -> None:
        self._ticks = itertools.count()
        self._lock = threading.Lock()
        self._step = step
        self._start = time.monotonic()

    def __call__(self) -> float:
        with self._lock:
            return self._start + next(self._ticks) * self._step


def test_an_expiring_oauth_token_is_refreshed_during_all_pages(cli, add_connection, demo_server_factory, data_dir):
    # the server believes 0.4 s pass per request: each 1-second token is refused after a couple of pages
    server = demo_server_factory(token_ttl_s=1, clock=StepClock(0.4))
    add_connection(demo_connection(server, preset="oauth2", name="oauth", entities=[SMALL_PAGES]))

    result = cli("call", "oauth", "customers", "--all-pages", "--json")

    assert ids_of(result) == list(range(1, 251))
    assert server.stats.token_requests > 1
    assert server.stats.unauthorized >= 1  # refused as expired, renewed and sent again
    assert server.stats.by_path["/api/customers"] == 10 + server.stats.unauthorized
    assert "10 page(s)" in result.err
    pages = [c for c in api_calls(data_dir, "oauth") if "/api/customers" in c.url]
    assert [c.ok for c in pages] == [True] * 10  # the refresh (and resend) happened inside each call


def test_a_token_that_lives_one_second_is_renewed_before_it_expires(cli, add_connection, demo_server_factory):
    server = demo_server_factory(token_ttl_s=1, latency_ms=60)
    add_connection(demo_connection(server, preset="oauth2", name="oauth", entities=[SMALL_PAGES]))

    result = cli("call", "oauth", "customers", "--all-pages", "--json")

    assert ids_of(result) == list(range(1, 251))
    assert server.stats.token_requests > 1
    assert server.stats.unauthorized == 0  # renewed in time: the server never saw an expired token


def test_a_token_is_fetched_once_and_reused_while_it_lives(cli, add_connection, demo_server_factory):
    # 30 s is shorter than the default refresh leeway (60 s): still one token for the whole run
    server = demo_server_factory(token_ttl_s=30)
    add_connection(demo_connection(server, preset="oauth2", name="oauth", entities=[SMALL_PAGES]))

    result = cli("call", "oauth", "customers", "--all-pages", "--json")

    assert ids_of(result) == list(range(1, 251))
    assert server.stats.token_requests == 1
