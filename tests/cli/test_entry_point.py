"""The real entry point: ``python -m flowdesk`` in its own process, with FLOWDESK_DATA_DIR and a master password
(no OS keychain, so the data key lives in the vault file)."""

from __future__ import annotations

from flowdesk import __version__
from tests.cli.conftest import DEMO_SECRETS, assert_no_secret, demo_connection, files_containing, ids_of, issued_tokens


def test_version_as_a_process(flowdesk_process):
    result = flowdesk_process("--version")

    assert result.code == 0
    assert result.out.strip() == f"flowdesk {__version__}"


def test_add_and_call_across_process_starts(flowdesk_process, write_file, demo_server, data_dir):
    path = write_file(demo_connection(demo_server, "oauth2", name="crm"))

    added = flowdesk_process("connection", "add", str(path))
    assert added.code == 0, added.err
    assert {"flowdesk.db", "vault.json"} <= {p.name for p in data_dir.iterdir()}

    # a second process: the connection, its sealed secret and the vault are all still there
    called = flowdesk_process("call", "crm", "list_customers_cursor", "--all-pages", "--json")
    assert ids_of(called) == list(range(1, 251))
    assert "5 page(s) · 250 record(s)" in called.err

    # a wrong master password is a clear error, and changes nothing
    locked = flowdesk_process("call", "crm", "list_customers", master_password="not the password")
    assert locked.code == 1
    assert "master password" in locked.err.lower()
    assert "Traceback" not in locked.err

    listed = flowdesk_process("connection", "list", "--json")
    assert listed.code == 0
    (crm,) = listed.json()
    assert (crm["name"], crm["auth_type"], crm["calls_24h"]) == ("crm", "oauth2", 6)  # 5 pages + the token

    # Windows pipes are cp1252, some terminals ASCII: "✓" and non-ASCII names are escaped, not a crash
    tested = flowdesk_process("connection", "test", "crm", PYTHONIOENCODING="ascii")
    assert tested.code == 0, tested.err
    assert tested.out.startswith("\\u2713 crm: HTTP 200")
    body = '{"name": "Zoë ✓ 🚀", "email": "z@example.com"}'
    created = flowdesk_process("call", "crm", "create_customer", "--body", body, "--json", PYTHONIOENCODING="ascii")
    assert created.code == 0, created.err
    assert created.json()[0]["name"] == "Zoë ✓ 🚀"  # still valid JSON, nothing lost

    secrets = [*DEMO_SECRETS, *issued_tokens(demo_server)]
    assert files_containing(data_dir, secrets) == {}
    for result in (added, called, locked, listed, tested, created):
        assert_no_secret(result.text, secrets)


def test_bad_input_exits_2_as_a_process(flowdesk_process, write_file):
    path = write_file({"name": "crm", "base_url": "http://127.0.0.1:8765", "auth": {"type": "magic"}})

    result = flowdesk_process("connection", "add", str(path))

    assert result.code == 2
    assert "auth: unknown auth type 'magic'" in result.err
    assert "Traceback" not in result.err
