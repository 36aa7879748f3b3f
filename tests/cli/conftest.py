"""Running ``flowdesk`` in this process (or as a real subprocess) against demo servers on 127.0.0.1.

Connection files are written the way a user writes them (JSON, or YAML), in the ARCHITECTURE.md format.
Every in-process run is also checked for leaked demo credentials: no command may ever print one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from flowdesk.cli import main
from flowdesk.demo import demo_connection_data
from tests.processes import flowdesk_env, run_flowdesk

DEMO_SECRETS = ("demo-key", "demo-pass", "demo-token", "demo-secret")
"""Every credential a default demo server accepts (DemoConfig's api_key, password, bearer_token, client_secret)."""

FAST_RETRY = {"count": 3, "backoff_s": 0.01, "max_backoff_s": 5.0}
"""Retries that do not make a test wait (the default backoff is 1 s, 2 s, 4 s)."""


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.out)

    @property
    def text(self) -> str:
        return self.out + self.err


def assert_no_secret(text: str, secrets: tuple[str, ...] | list[str] = DEMO_SECRETS) -> None:
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"secret(s) {leaked} printed:\n{text}"


@pytest.fixture()
def cli(data_dir: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``flowdesk --data-dir DATA …`` in this process and capture what it prints."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main(["--data-dir", str(data_dir), *args])
        except SystemExit as exc:  # argparse errors and --version
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        result = Result(code, captured.out, captured.err)
        assert_no_secret(result.text)
        return result

    return run


@pytest.fixture()
def write_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a connection document as JSON (or YAML with ``as_yaml``) and return its path."""

    def write(data: Any, name: str = "connection.json", *, as_yaml: bool = False) -> Path:
        path = tmp_path / name
        text = yaml.safe_dump(data, sort_keys=False) if as_yaml else json.dumps(data, indent=2)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def demo_connection(server: Any, preset: str = "api_key", **overrides: Any) -> dict[str, Any]:
    """The demo connection file for ``server`` with ``preset`` auth and fast retries; ``overrides`` replace
    top-level fields (``auth={...}`` included)."""
    data = demo_connection_data(server.base_url, auth=preset)
    data["retry"] = dict(FAST_RETRY)
    data.update(overrides)
    return data


def customers_entity(name: str, path: str, pagination: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An entity over the demo's 250 customers, written by hand like a user would."""
    return {"name": name, "method": "GET", "path": path, "data_path": "$.data", "pagination": pagination, **fields}


@pytest.fixture()
def add_connection(cli, write_file):  # type: ignore[no-untyped-def]
    """``flowdesk connection add`` a connection document; fails the test when it is refused."""

    def add(data: dict[str, Any], *extra: str) -> Result:
        path = write_file(data, f"{data['name']}.json")
        result = cli(*extra, "connection", "add", str(path))
        assert result.code == 0, result.err
        return result

    return add


def ids_of(result: Result) -> list[int]:
    """The ``id`` of every record ``call --json`` printed (the output must be one JSON array)."""
    assert result.code == 0, result.err
    records = result.json()
    assert isinstance(records, list)
    return [record["id"] for record in records]


def api_calls(data_dir: Path, connection: str, workspace: str = "Default") -> list[Any]:
    """Every API call (one per attempt) the store recorded for ``connection``, oldest first."""
    from flowdesk.workspace import Workspace

    ws = Workspace.open(data_dir, workspace, user="tester")
    try:
        return list(reversed(ws.store.list_api_calls(ws.name, connection)))
    finally:
        ws.close()


def issued_tokens(server: Any) -> list[str]:
    """The OAuth access and refresh tokens the demo server handed out so far."""
    app = server._server._runner.app
    for resource in app.router.resources():
        if resource.canonical == "/oauth/token":
            for route in resource:
                store = route.handler.__self__._tokens
                return [*store._access, *store._refresh]
    raise AssertionError("the demo server has no /oauth/token route")


def files_containing(folder: Path, secrets: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """``{file: [secrets found]}`` over every file under ``folder`` (database, -wal, -shm, vault …), as bytes."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        content = path.read_bytes()
        hits = [s for s in secrets if s.encode() in content]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


@pytest.fixture()
def flowdesk_process(data_dir: Path):  # type: ignore[no-untyped-def]
    """Run ``python -m flowdesk …`` as a real process on ``data_dir`` (vault with a master password)."""

    def run(*args: str, master_password: str = "correct horse battery staple", **extra_env: str) -> Result:
        done = run_flowdesk(list(args), flowdesk_env(data_dir, master_password=master_password, **extra_env))
        return Result(done.returncode, done.stdout, done.stderr)

    return run
