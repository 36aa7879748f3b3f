"""The store runs on SQLAlchemy Core: importing and using it never loads the ORM.

``sqlalchemy.orm`` costs more to import than a short CLI command spends on its statements, and every command
opens the store. The check runs in a fresh interpreter (this test process may have imported the ORM through
something else); time is not asserted, the modules are, so a change that brings the ORM back is caught.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import json
    import sys
    from pathlib import Path

    import flowdesk.store

    loaded = {"import": sorted(sys.modules)}
    from flowdesk.model import parse_connection

    store = flowdesk.store.Store.open(Path(sys.argv[1]))  # a new file: created by the migrations
    store.ensure_workspace("Default")
    auth = {"type": "bearer", "token": "tok-sealed"}
    crm = parse_connection({"name": "crm", "base_url": "https://api.example.com", "auth": auth})
    store.add_connection("Default", crm)
    store.list_connections("Default")
    store.save_flow("Default", "sync", {"name": "sync", "nodes": []})
    run_id = store.start_run("Default", "sync", "manual")
    store.finish_run(run_id, "succeeded", None, {}, [flowdesk.store.RunNodeRecord("start")])
    store.list_flows("Default")
    store.close()
    store = flowdesk.store.Store.open(Path(sys.argv[1]))  # the file is current: opened without migrating
    assert store.get_connection("Default", "crm").auth.token.get_secret_value() == "tok-sealed"
    store.get_run(run_id)
    store.close()
    loaded["used"] = sorted(sys.modules)
    print(json.dumps(loaded))
    """
)


def _orm(modules: list[str]) -> list[str]:
    return [m for m in modules if m == "sqlalchemy.orm" or m.startswith("sqlalchemy.orm.")]


def test_importing_and_using_the_store_never_loads_the_sqlalchemy_orm(data_dir):
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", FLOWDESK_MASTER_PASSWORD="pw")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(data_dir)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )

    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "sqlalchemy" in loaded["import"], "the probe really exercised the store"
    assert _orm(loaded["import"]) == [], "importing flowdesk.store loads the ORM"
    assert _orm(loaded["used"]) == [], "opening, migrating or using the store loads the ORM"
