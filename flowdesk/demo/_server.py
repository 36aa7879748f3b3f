"""Serving the demo API: in the caller's event loop (:class:`DemoServer`) or blocking (:func:`run_demo_server`).

:class:`DemoServer` never starts a thread or a loop of its own, so the window runs it on its qasync loop and
tests on pytest's loop; :func:`run_demo_server` is the blocking form for ``flowdesk demo-server``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import time
from collections.abc import Callable

from aiohttp import web

from flowdesk.demo._app import create_app
from flowdesk.demo._config import DemoConfig
from flowdesk.demo._stats import DemoStats

SHUTDOWN_TIMEOUT_S = 1.0
"""How long stop() lets answers in flight finish; a forced 30 s ``timeout`` must not hold it up."""


class DemoServer:
    """One demo API on ``config.host``, running on the current asyncio loop between start() and stop().

    Each start() serves fresh data (the generated records, no tokens); :attr:`stats` keep counting.
    """

    def __init__(self, config: DemoConfig | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config if config is not None else DemoConfig()
        self._clock = clock
        self._stats = DemoStats()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @property
    def config(self) -> DemoConfig:
        return self._config

    @property
    def stats(self) -> DemoStats:
        """What the server has answered so far (see :class:`DemoStats`)."""
        return self._stats

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` without a trailing slash (the API itself is under ``/api``).

        Raises:
            RuntimeError: the server is not running.
        """
        if self._base_url is None:
            raise RuntimeError("the demo server is not running: await start() first")
        return self._base_url

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> str:
        """Bind and serve; returns the base URL (with the real port when ``config.port`` is 0).

        Raises:
            OSError: the port is taken or the host cannot be bound.
            RuntimeError: the server is already running.
        """
        if self._runner is not None:
            raise RuntimeError("the demo server is already running")
        app = create_app(self._config, clock=self._clock, stats=self._stats)
        # handler_cancellation: a client giving up on a forced timeout frees its handler at once
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S, handler_cancellation=True)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._config.host, self._config.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        self._runner = runner
        self._base_url = f"http://{host}:{port}"
        return self._base_url

    async def stop(self) -> None:
        """Close the listening socket and open connections; nothing happens when it is not running."""
        runner, self._runner, self._base_url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()


def run_demo_server(port: int, config: DemoConfig, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``config`` on ``port`` until Ctrl-C (or SIGTERM), then return normally.

    ``on_ready`` is called once with the base URL as soon as the socket listens.

    Raises:
        OSError: the port is taken or the host cannot be bound.
    """
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(dataclasses.replace(config, port=port), on_ready))


async def _serve(config: DemoConfig, on_ready: Callable[[str], None] | None) -> None:
    server = DemoServer(config)
    base_url = await server.start()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers on Windows' loops
        loop.add_signal_handler(signal.SIGTERM, stopped.set)
    try:
        if on_ready is not None:
            on_ready(base_url)
        await stopped.wait()
    finally:
        await server.stop()
