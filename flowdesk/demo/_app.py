"""The aiohttp application: routes plus the gate every ``/api`` request passes.

Order at the gate, and why: the rate limit first (a real API counts refused calls too, and its headers must
be on every ``/api`` answer), then authentication (so forced failures never hide a missing credential),
then forced and random failures, then the handler.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from flowdesk.demo._auth import (
    AuthorizeEndpoint,
    RevocationEndpoint,
    TokenEndpoint,
    TokenStore,
    account_of,
    authenticate,
)
from flowdesk.demo._config import DemoConfig
from flowdesk.demo._faults import FaultInjector, RateLimiter, client_key, rate_limited
from flowdesk.demo._openapi import build_openapi
from flowdesk.demo._responses import ApiError, json_response, to_response
from flowdesk.demo._routes import SERVICE_NAME, CrmApi
from flowdesk.demo._state import CrmState
from flowdesk.demo._stats import DemoStats

STATS_KEY = web.AppKey("demo_stats", DemoStats)


def create_app(
    config: DemoConfig,
    *,
    clock: Callable[[], float] = time.monotonic,
    stats: DemoStats | None = None,
) -> web.Application:
    """A fresh demo API (its own data, tokens and counters) to serve with any aiohttp runner.

    ``clock`` (monotonic seconds) drives token expiry and the rate limit; tests pass a fake one to move
    time without sleeping. The counters are ``app[STATS_KEY]`` (or ``stats``, when given).
    """
    stats = stats if stats is not None else DemoStats()
    tokens = TokenStore(config.token_ttl_s, clock, rotate=config.rotate_refresh_tokens)
    limiter = RateLimiter(config.rate_limit, clock) if config.rate_limit else None
    faults = FaultInjector(config, stats)
    delay_s = config.latency_ms / 1000

    async def api_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
        decision = limiter.take(client_key(request)) if limiter is not None else None
        response: web.StreamResponse
        try:
            if decision is not None and not decision.allowed:
                stats.rate_limited += 1
                raise rate_limited(decision)
            try:
                authenticate(request, config, tokens)
            except ApiError:
                stats.unauthorized += 1
                raise
            failure = await faults.forced(request)
            if failure is None:
                failure = faults.random_failure()
            response = failure if failure is not None else await handler(request)
        except (ApiError, web.HTTPException) as exc:
            response = to_response(request, exc)
        if decision is not None:
            response.headers.update(decision.headers())
        return response

    @web.middleware
    async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
        stats.requests += 1
        stats.by_path[request.path] += 1
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        if request.path == "/api" or request.path.startswith("/api/"):
            return await api_gate(request, handler)
        try:
            return await handler(request)
        except (ApiError, web.HTTPException) as exc:
            return to_response(request, exc)

    async def openapi(request: web.Request) -> web.Response:
        return json_response(build_openapi(_origin(request)))

    async def me(request: web.Request) -> web.Response:
        return json_response(account_of(request, config, tokens))

    async def index(request: web.Request) -> web.Response:
        origin = _origin(request)
        return json_response(
            {
                "service": SERVICE_NAME,
                "api": f"{origin}/api",
                "openapi": f"{origin}/openapi.json",
                "token_url": f"{origin}/oauth/token",
                "authorize_url": f"{origin}/oauth/authorize",
                "revocation_url": f"{origin}/oauth/revoke",
            }
        )

    app = web.Application(middlewares=[gate])
    app[STATS_KEY] = stats
    app.router.add_routes(CrmApi(CrmState(config)).routes())
    app.router.add_get("/", index)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/api/me", me)
    app.router.add_post("/oauth/token", TokenEndpoint(config, tokens, stats).handle)
    app.router.add_get("/oauth/authorize", AuthorizeEndpoint(config, tokens, stats).handle)
    app.router.add_post("/oauth/revoke", RevocationEndpoint(config, tokens, stats).handle)
    return app


def _origin(request: web.Request) -> str:
    return str(request.url.origin())
