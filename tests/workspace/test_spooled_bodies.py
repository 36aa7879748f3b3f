"""The tester's helpers for a body spooled to a file: parse it on demand (within a limit), save it as received."""

from __future__ import annotations

import json

import pytest

from flowdesk.model.errors import UserError
from flowdesk.workspace import ApiResponse, parse_body_file, save_body_file


def spooled(path, size=None, **overrides) -> ApiResponse:
    data = {
        "status": 200, "headers": {}, "body": None, "elapsed_ms": 1.0, "url": "https://x.test/a", "attempts": 1,
        "size": path.stat().st_size if size is None else size, "is_json": True, "body_file": path,
    }  # fmt: skip
    data.update(overrides)
    return ApiResponse(**data)


async def test_parse_body_file_reads_the_json_document(tmp_path) -> None:
    document = {"data": [{"id": i, "name": f"n{i}", "tags": ["a", "ü"]} for i in range(500)], "next": None}
    body = tmp_path / "body"
    body.write_bytes(json.dumps(document, ensure_ascii=False).encode())
    assert await parse_body_file(spooled(body)) == document


async def test_parse_body_file_refuses_a_body_over_the_limit_and_invalid_json(tmp_path) -> None:
    body = tmp_path / "body"
    body.write_bytes(b'{"a": [1, 2,, 3]}')
    with pytest.raises(UserError, match="too large to show as a tree"):
        await parse_body_file(spooled(body), limit=10)
    with pytest.raises(UserError, match=r"not valid JSON: .*line 1 column 13"):
        await parse_body_file(spooled(body))
    with pytest.raises(UserError, match="not written to a file"):
        await parse_body_file(spooled(body, body_file=None))


async def test_save_body_file_copies_the_body_as_received(tmp_path) -> None:
    body = tmp_path / "body"
    body.write_bytes(b'{"compact":true}\n')
    target = tmp_path / "saved.json"
    assert await save_body_file(spooled(body), target) == body.stat().st_size
    assert target.read_bytes() == body.read_bytes()
