"""Spooling: a body over ``spool_over`` bytes streams to a temporary file instead of memory, unparsed."""

from __future__ import annotations

import gc
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from flowdesk.model.errors import InvalidResponseError, OperationalError, ServerError, TransportError

from .conftest import BASE, make_connection

LIMIT = 1000


def chunked(parts: list[bytes], *, after=None, fail_after: int | None = None) -> AsyncIterator[bytes]:
    """A body without Content-Length (httpx sends it chunked); ``after(i)`` runs before part ``i`` is sent."""

    async def stream() -> AsyncIterator[bytes]:
        for number, part in enumerate(parts):
            if after is not None:
                after(number)
            if fail_after is not None and number == fail_after:
                raise httpx.ReadError("connection reset mid-body")
            yield part

    return stream()


def records_json(count: int) -> bytes:
    return json.dumps([{"id": i, "name": f"record {i}"} for i in range(count)]).encode()


async def test_a_body_under_the_threshold_is_parsed_as_without_spooling(respx_mock, client_for, events, tmp_path):
    body = records_json(5)
    assert len(body) < LIMIT
    respx_mock.get(f"{BASE}/small").respond(content=body, content_type="application/json")
    async with client_for() as client:
        plain = await client.send(path="/small")
        spooled = await client.send(path="/small", spool_over=LIMIT, spool_dir=tmp_path)
    assert spooled.body_file is None and not spooled.spooled
    assert spooled.body == plain.body == json.loads(body)
    assert (spooled.is_json, spooled.size, spooled.content_type) == (True, len(body), "application/json")
    assert spooled.records("$") == plain.records("$")
    assert [e.response_bytes for e in events] == [len(body), len(body)]
    assert list(tmp_path.iterdir()) == []


async def test_a_chunked_body_under_the_threshold_stays_in_memory(respx_mock, client_for, tmp_path):
    body = b"plain text, " * 20
    respx_mock.get(f"{BASE}/t").mock(
        side_effect=lambda _r: httpx.Response(200, headers={"Content-Type": "text/plain"}, content=chunked([body]))
    )
    async with client_for() as client:
        response = await client.send(path="/t", spool_over=LIMIT, spool_dir=tmp_path)
    assert response.body == body.decode() and not response.is_json and response.body_file is None
    assert list(tmp_path.iterdir()) == []


async def test_a_body_over_the_threshold_is_spooled_to_a_file_with_the_exact_bytes(
    respx_mock, client_for, events, tmp_path
):
    body = records_json(200)
    assert len(body) > LIMIT
    respx_mock.get(f"{BASE}/big").respond(content=body, content_type="application/json; charset=utf-8")
    async with client_for() as client:
        response = await client.send(path="/big", spool_over=LIMIT, spool_dir=tmp_path)
    assert response.spooled and response.body is None
    assert response.body_file is not None and response.body_file.parent == tmp_path
    assert response.body_file.read_bytes() == body
    assert response.is_json and response.size == len(body) and response.status == 200
    assert [e.response_bytes for e in events] == [len(body)]
    with pytest.raises(InvalidResponseError, match="not parsed"):
        response.records("$")

    path = response.body_file
    del response
    gc.collect()
    assert not path.exists()  # the file goes with its response


async def test_a_chunked_body_is_spooled_once_it_crosses_the_threshold(respx_mock, client_for, tmp_path):
    body = records_json(300)
    parts = [body[i : i + 400] for i in range(0, len(body), 400)]
    files_seen: list[int] = []

    def before_part(number: int) -> None:
        files_seen.append(len(list(tmp_path.iterdir())))

    respx_mock.get(f"{BASE}/chunked").mock(
        side_effect=lambda _r: httpx.Response(200, content=chunked(parts, after=before_part))
    )
    async with client_for() as client:
        response = await client.send(path="/chunked", spool_over=LIMIT, spool_dir=tmp_path)
    # no file while under 1,000 bytes (parts 0-2 = 1,200 bytes cross it), a file from then on
    assert files_seen[:3] == [0, 0, 0] and set(files_seen[3:]) == {1}
    assert response.body_file is not None and response.body_file.read_bytes() == body
    assert response.size == len(body) and response.body is None
    assert response.is_json  # no content type: guessed from the first byte, as for small bodies


async def test_an_error_status_still_raises_with_an_excerpt_and_leaves_no_file(respx_mock, client_for, tmp_path):
    body = b"upstream exploded: " + b"x" * 5000
    respx_mock.get(f"{BASE}/boom").respond(500, content=body, content_type="text/plain")
    async with client_for(make_connection(retry={"count": 0})) as client:
        with pytest.raises(ServerError) as caught:
            await client.send(path="/boom", spool_over=LIMIT, spool_dir=tmp_path)
    excerpt = caught.value.body_excerpt
    assert excerpt is not None and excerpt.startswith("upstream exploded: xxx") and len(excerpt) <= 300
    assert caught.value.status == 500
    assert list(tmp_path.iterdir()) == []


async def test_an_error_status_without_raising_keeps_the_spooled_body(respx_mock, client_for, tmp_path):
    body = b"<html>" + b"e" * 3000 + b"</html>"
    respx_mock.get(f"{BASE}/boom").respond(502, content=body, content_type="text/html")
    async with client_for(make_connection(retry={"count": 0})) as client:
        response = await client.send(path="/boom", spool_over=LIMIT, spool_dir=tmp_path, raise_for_status=False)
    assert response.status == 502 and not response.is_json
    assert response.body_file is not None and response.body_file.read_bytes() == body


async def test_a_retried_answer_drops_its_spool_file(respx_mock, client_for, fake_time, events, tmp_path):
    big_error, body = b"e" * 4000, records_json(100)
    respx_mock.get(f"{BASE}/flaky").mock(
        side_effect=[httpx.Response(503, content=big_error), httpx.Response(200, json=json.loads(body))]
    )
    async with client_for() as client:
        response = await client.send(path="/flaky", spool_over=LIMIT, spool_dir=tmp_path)
    assert response.attempts == 2 and len(fake_time.sleeps) == 1
    assert [(e.status, e.will_retry, e.response_bytes) for e in events] == [
        (503, True, len(big_error)),
        (200, False, response.size),
    ]
    assert list(tmp_path.iterdir()) == [response.body_file]
    assert json.loads(response.body_file.read_bytes()) == json.loads(body)


async def test_a_connection_broken_mid_body_is_a_transport_error_and_leaves_no_file(respx_mock, client_for, tmp_path):
    parts = [b"[" + b"1," * 400] * 5
    respx_mock.get(f"{BASE}/cut").mock(side_effect=lambda _r: httpx.Response(200, content=chunked(parts, fail_after=4)))
    async with client_for(make_connection(retry={"count": 0})) as client:
        with pytest.raises(TransportError):
            await client.send(path="/cut", spool_over=LIMIT, spool_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_auth_is_sent_when_spooling(respx_mock, client_for, tmp_path):
    route = respx_mock.get(f"{BASE}/big").respond(content=records_json(100), content_type="application/json")
    conn = make_connection(auth={"type": "bearer", "token": "t0ken"})
    async with client_for(conn) as client:
        response = await client.send(path="/big", spool_over=LIMIT, spool_dir=tmp_path)
    assert route.calls.last.request.headers["Authorization"] == "Bearer t0ken"
    assert response.spooled


async def test_an_unwritable_spool_folder_is_an_operational_error(respx_mock, client_for, tmp_path):
    respx_mock.get(f"{BASE}/big").respond(content=records_json(100), content_type="application/json")
    async with client_for() as client:
        with pytest.raises(OperationalError, match="cannot write the response body") as caught:
            await client.send(path="/big", spool_over=LIMIT, spool_dir=tmp_path / "missing")
    assert caught.value.hint and "disk space" in caught.value.hint
