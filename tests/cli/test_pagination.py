"""Each pagination style gives all 250 demo customers once, in order, through ``call --all-pages --json``."""

from __future__ import annotations

import pytest

from tests.cli.conftest import customers_entity, demo_connection, ids_of

STYLES = {
    "offset": customers_entity(
        "by_offset", "/customers", {"type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 40}
    ),
    "page": customers_entity(
        "by_page",
        "/customers/pages",
        {
            "type": "page",
            "page_param": "page",
            "size_param": "per_page",
            "size": 40,
            "total_pages_path": "$.total_pages",
        },
    ),
    "cursor": customers_entity(
        "by_cursor",
        "/customers/cursor",
        {"type": "cursor", "cursor_param": "cursor", "next_cursor_path": "$.next_cursor"},
    ),
    "link_header": customers_entity("by_link", "/customers/linked", {"type": "link_header"}, query={"per_page": 40}),
}
PAGES = {"offset": 7, "page": 7, "cursor": 5, "link_header": 7}
"""Requests each style needs: 250 = 6 × 40 + 10 (offset/page/link), 5 × 50 with the cursor endpoint's default."""


@pytest.mark.parametrize("style", list(STYLES))
def test_all_pages_of_each_style(cli, add_connection, demo_server, style):
    entity = STYLES[style]
    add_connection(demo_connection(demo_server, name="crm", entities=[entity]))

    result = cli("call", "crm", entity["name"], "--all-pages", "--json")

    assert ids_of(result) == list(range(1, 251))
    assert f"{PAGES[style]} page(s) · 250 record(s)" in result.err
    assert demo_server.stats.requests == PAGES[style]


@pytest.mark.parametrize(
    "entity", ["list_customers", "list_customers_pages", "list_customers_cursor", "list_customers_linked"]
)
def test_the_demo_connection_pages_through_everything(cli, add_connection, demo_server, entity):
    add_connection(demo_connection(demo_server))

    ids = ids_of(cli("call", "demo-crm", entity, "--all-pages", "--json"))

    assert len(ids) == 250
    assert sorted(set(ids)) == list(range(1, 251))


def test_without_all_pages_only_the_first_page(cli, add_connection, demo_server):
    add_connection(demo_connection(demo_server))

    result = cli("call", "demo-crm", "list_customers_cursor", "--json")

    assert ids_of(result) == list(range(1, 51))
    assert demo_server.stats.requests == 1


def test_all_pages_with_a_filter(cli, add_connection, demo_server):
    add_connection(demo_connection(demo_server))

    everyone = cli("call", "demo-crm", "list_customers_linked", "--all-pages", "--json").json()
    europe = cli("call", "demo-crm", "list_customers_linked", "-q", "region=EU", "--all-pages", "--json").json()

    expected = [c["id"] for c in everyone if c["region"] == "EU"]
    assert 0 < len(expected) < 250
    assert [c["id"] for c in europe] == expected
