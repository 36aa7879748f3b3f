"""Starting and stopping servers: in the running loop, blocking from the CLI, and from the shared fixture."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

import flowdesk.demo
from flowdesk.demo import STATS_KEY, DemoConfig, DemoServer, create_app


def test_the_public_names():
    assert sorted(flowdesk.demo.__all__) == [
        "DemoConfig", "DemoServer", "DemoStats", "STATS_KEY", "create_app", "demo_connection_data", "run_demo_server",
    ]  # fmt: skip


def test_config_defaults_and_checks():
    config = DemoConfig()
    assert (config.port, config.host, config.customers, config.items, config.rate_limit) == (
        0, "127.0.0.1", 250, 100_000, None,
    )  # fmt: skip
    for bad in ({"error_rate": 1.5}, {"port": 70000}, {"rate_limit": 0}, {"token_ttl_s": 0}, {"latency_ms": -1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            DemoConfig(**bad)


async def test_start_binds_a_free_port_quickly_and_stop_releases_it():
    server = DemoServer()
    started = time.perf_counter()
    base_url = await server.start()
    assert time.perf_counter() - started < 0.2
    assert base_url.startswith("http://127.0.0.1:") and not base_url.endswith("/")
    assert server.base_url == base_url and server.running
    with pytest.raises(RuntimeError, match="already running"):
        await server.start()
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{base_url}/api", headers={"X-API-Key": "demo-key"})).status_code == 200
        await server.stop()
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{base_url}/api")
    assert not server.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    await server.stop()  # twice is harmless
    assert server.stats.requests == 1 and server.stats.by_path["/api"] == 1


async def test_a_taken_port_is_an_oserror():
    first = DemoServer()
    await first.start()
    port = int(first.base_url.rsplit(":", 1)[1])
    try:
        with pytest.raises(OSError):
            await DemoServer(DemoConfig(port=port)).start()
    finally:
        await first.stop()


async def test_stop_does_not_wait_for_a_forced_timeout():
    server = DemoServer()
    await server.start()
    async with httpx.AsyncClient(timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{server.base_url}/api", headers={"X-API-Key": "demo-key", "X-Demo-Fail": "timeout"})
    started = time.perf_counter()
    await server.stop()
    assert time.perf_counter() - started < 2.0


async def test_create_app_runs_under_any_aiohttp_runner():
    app = create_app(DemoConfig(customers=3))
    async with TestClient(TestServer(app)) as client:
        r = await client.get("/api/customers", headers={"X-API-Key": "demo-key"})
        assert r.status == 200
        assert (await r.json())["total"] == 3
    assert app[STATS_KEY].requests == 1


def test_the_shared_thread_fixture_serves_the_demo(demo_server):
    r = httpx.get(f"{demo_server.base_url}/api/customers/1", headers={"X-API-Key": "demo-key"})
    assert r.status_code == 200 and r.json()["id"] == 1


def test_the_shared_factory_passes_the_config(demo_server_factory):
    server = demo_server_factory(customers=5, rate_limit=100)
    r = httpx.get(f"{server.base_url}/api/customers", headers={"X-API-Key": "demo-key"})
    assert r.json()["total"] == 5 and r.headers["x-ratelimit-limit"] == "100"
    assert server.config.customers == 5


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_run_demo_server_serves_until_interrupted_and_exits_cleanly(stop_signal):
    script = textwrap.dedent(
        """
        import sys
        from flowdesk.demo import DemoConfig, run_demo_server
        def ready(url):
            print(url, flush=True)
        run_demo_server(0, DemoConfig(port=1234, customers=2), on_ready=ready)
        print("stopped", flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and not base_url.endswith(":1234")
        r = httpx.get(f"{base_url}/api/customers", headers={"X-API-Key": "demo-key"}, timeout=10)
        assert r.json()["total"] == 2
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.strip() == "stopped"
    assert "Traceback" not in err
