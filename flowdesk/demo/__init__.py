"""The bundled demo API: a small fake CRM on 127.0.0.1 for the demo workspace, ``flowdesk demo-server``,
benchmarks and integration tests, so everything flowdesk does can be tried offline.

It is an ``aiohttp.web`` application that runs on whatever asyncio loop is current (the window's qasync
loop, ``asyncio.run``, pytest's loop) without threads. Endpoints are under ``/api`` (any one of an API key,
HTTP Basic, a bearer token or an OAuth 2 access token from ``/oauth/token``); ``/openapi.json`` describes
them. Failures are available on demand (``X-Demo-Fail``, ``error_rate``, ``rate_limit``, ``latency_ms``).
"""

from flowdesk.demo._app import STATS_KEY, create_app
from flowdesk.demo._config import DemoConfig
from flowdesk.demo._connection import demo_connection_data
from flowdesk.demo._server import DemoServer, run_demo_server
from flowdesk.demo._stats import DemoStats

__all__ = [
    "STATS_KEY",
    "DemoConfig",
    "DemoServer",
    "DemoStats",
    "create_app",
    "demo_connection_data",
    "run_demo_server",
]
