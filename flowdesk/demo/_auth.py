"""Who may call ``/api``, and the OAuth 2 token endpoint that hands out short-lived access tokens.

Every auth method flowdesk supports is accepted at once (an API key in a header or the query, HTTP Basic, a
static bearer token, or an access token from ``POST /oauth/token``), so one server can back every auth
variant of :func:`demo_connection_data`. Token lifetimes follow an injectable monotonic clock: tests expire
a token by moving the clock, never by sleeping.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import BasicAuth, web

from flowdesk.demo._config import DemoConfig
from flowdesk.demo._responses import ApiError, json_response
from flowdesk.demo._stats import DemoStats

REALM = 'realm="flowdesk demo"'
DEFAULT_SCOPE = "crm"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison, as a real server would do it (the demo should not teach bad habits)."""
    return hmac.compare_digest(given.encode(), expected.encode())


class TokenStore:
    """Access tokens with their expiry (on ``clock``) and refresh tokens with their scope."""

    def __init__(self, ttl_s: float, clock: Callable[[], float]) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._access: dict[str, float] = {}
        self._refresh: dict[str, str] = {}

    def issue(self, scope: str) -> dict[str, Any]:
        """A new access and refresh token pair, as the body of a token response (RFC 6749 §5.1)."""
        access, refresh = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
        self._access[access] = self._clock() + self.ttl_s
        self._refresh[refresh] = scope
        ttl = self.ttl_s
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(ttl) if float(ttl).is_integer() else ttl,
            "refresh_token": refresh,
            "scope": scope,
        }

    def access_state(self, token: str) -> str | None:
        """``"live"``, ``"expired"``, or ``None`` for a token this server never issued."""
        expires = self._access.get(token)
        if expires is None:
            return None
        return "live" if self._clock() < expires else "expired"

    def refresh_scope(self, token: str) -> str | None:
        """The scope a refresh token was issued for; ``None`` when unknown. Old refresh tokens stay valid."""
        return self._refresh.get(token)


def authenticate(request: web.Request, config: DemoConfig, tokens: TokenStore) -> None:
    """Accept the request when any one credential it carries is right.

    Raises:
        ApiError: 401 ``unauthorized`` (nothing or something wrong sent) or ``invalid_token`` (an expired or
            unknown bearer token), with a ``WWW-Authenticate`` challenge.
    """
    problems: list[ApiError] = []
    key = request.headers.get("X-API-Key")
    if key is not None:
        if _same(key, config.api_key):
            return
        problems.append(_unauthorized("the API key in X-API-Key is not valid"))
    query_key = request.query.get("api_key")
    if query_key is not None:
        if _same(query_key, config.api_key):
            return
        problems.append(_unauthorized("the api_key query parameter is not valid"))
    authorization = request.headers.get("Authorization")
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "basic":
            if _basic_ok(authorization, config):
                return
            problems.append(_unauthorized("wrong username or password"))
        elif scheme.lower() == "bearer":
            token = value.strip()
            if _same(token, config.bearer_token):
                return
            state = tokens.access_state(token)
            if state == "live":
                return
            problems.append(_invalid_token("token expired" if state == "expired" else "unknown bearer token"))
        else:
            problems.append(_unauthorized(f"the {scheme} authorization scheme is not supported here"))
    if problems:
        raise problems[0]
    raise _unauthorized("no credentials: send X-API-Key (or ?api_key=), HTTP Basic, or a bearer token")


def _basic_ok(header: str, config: DemoConfig) -> bool:
    try:
        credentials = BasicAuth.decode(header)
    except ValueError:
        return False
    return _same(credentials.login, config.username) & _same(credentials.password, config.password)


def _unauthorized(message: str) -> ApiError:
    challenge = f"Basic {REALM}, Bearer {REALM}"
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


def _invalid_token(message: str) -> ApiError:
    challenge = f'Bearer {REALM}, error="invalid_token", error_description="{message}"'
    return ApiError(401, "invalid_token", message, headers={"WWW-Authenticate": challenge})


class TokenEndpoint:
    """``POST /oauth/token``: the client credentials and refresh token grants (RFC 6749 §4.4, §6).

    The client may authenticate with HTTP Basic or with ``client_id``/``client_secret`` in the form body;
    a refresh without client credentials is accepted, since the refresh token itself is the proof.
    """

    def __init__(self, config: DemoConfig, tokens: TokenStore, stats: DemoStats) -> None:
        self._config = config
        self._tokens = tokens
        self._stats = stats

    async def handle(self, request: web.Request) -> web.Response:
        self._stats.token_requests += 1
        form = await _form(request)
        grant = form.get("grant_type", "")
        if not grant:
            return _oauth_error(400, "invalid_request", "grant_type is required")
        if grant not in ("client_credentials", "refresh_token"):
            return _oauth_error(
                400, "unsupported_grant_type", f"{grant!r} is not supported (client_credentials or refresh_token)"
            )
        client = _client_credentials(request, form)
        if client is None and grant == "client_credentials":
            return _oauth_error(401, "invalid_client", "send client_id and client_secret (HTTP Basic or form)")
        if client is not None and not (
            _same(client[0], self._config.client_id) & _same(client[1], self._config.client_secret)
        ):
            return _oauth_error(401, "invalid_client", "unknown client or wrong client secret")
        if grant == "refresh_token":
            scope = self._tokens.refresh_scope(form.get("refresh_token", ""))
            if scope is None:
                return _oauth_error(400, "invalid_grant", "the refresh token is unknown")
        else:
            scope = form.get("scope", "").strip() or DEFAULT_SCOPE
        return json_response(self._tokens.issue(scope), headers=_NO_STORE)


async def _form(request: web.Request) -> dict[str, str]:
    """The token request's parameters: a form as the RFC says, or a JSON object as some clients send."""
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    posted = await request.post()
    return {key: value for key, value in posted.items() if isinstance(value, str)}


def _client_credentials(request: web.Request, form: dict[str, str]) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = BasicAuth.decode(header)
        except ValueError:
            return ("", "")  # present but malformed: a wrong client, not a missing one
        # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding
        return unquote(decoded.login.replace("+", " ")), unquote(decoded.password.replace("+", " "))
    if "client_id" in form:
        return form["client_id"], form.get("client_secret", "")
    return None


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    headers = dict(_NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = f"Basic {REALM}"
    return json_response({"error": error, "error_description": description}, status, headers)
