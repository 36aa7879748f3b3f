"""Two processes on one data dir at once: WAL readers never block, writers wait for each other."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from .conftest import WS
from .helpers import connection

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from flowdesk.model import parse_connection
    from flowdesk.store import Store

    store = Store.open(Path(sys.argv[1]))
    print("ready", flush=True)
    sys.stdin.readline()  # start writing when the test says so
    for i in range(int(sys.argv[2])):
        store.add_connection(
            "Default",
            parse_connection({"name": f"remote-{i:02}", "base_url": "https://remote.example.com", "timeout": 7}),
        )
        store.add_audit("Default", "other-process", "connection.add", f"remote-{i:02}")
    store.close()
    print("done", flush=True)
    """
)


def test_another_process_writes_while_this_store_is_open(store, data_dir):
    count = 25
    store.add_connection(WS, connection("local"))
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")  # never the OS keychain
    env.pop("FLOWDESK_MASTER_PASSWORD", None)
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir), str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "ready"
        child.stdin.write("go\n")
        child.stdin.flush()
        for i in range(count):  # write here at the same time: both must wait for the lock, not fail
            store.add_audit(WS, "this-process", "flow.run", f"local-{i}")
            store.list_connections(WS)
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()

    assert child.returncode == 0, err
    assert out.strip() == "done"
    names = [c.name for c in store.list_connections(WS)]
    assert names == ["local"] + [f"remote-{i:02}" for i in range(count)]
    assert store.get_connection(WS, "remote-07").timeout == 7
    users = [e.user for e in store.list_audit(WS, limit=1000)]
    assert users.count("this-process") == count
    assert users.count("other-process") == count
