"""Who may call ``/api``, and the OAuth 2 token endpoint that hands out short-lived access tokens.

Every auth method flowdesk supports is accepted at once (an API key in a header or the query, HTTP Basic, a
static bearer token, or an access token from ``POST /oauth/token``), so one server can back every auth
variant of :func:`demo_connection_data`. Token lifetimes follow an injectable monotonic clock: tests expire
a token by moving the clock, never by sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

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


@dataclass(frozen=True)
class Grant:
    """What one consent (or client-credentials request) allowed: every token issued under it shares it."""

    scope: str
    subject: str
    """Whose data the tokens reach: the demo user after a consent, the client id for client credentials."""


@dataclass(frozen=True)
class PendingCode:
    """An authorization code waiting to be exchanged (single use, short-lived)."""

    grant: Grant
    client_id: str
    redirect_uri: str
    challenge: str | None
    expires_at: float


class TokenStore:
    """Access tokens with their expiry (on ``clock``), refresh tokens and authorization codes with their grant.

    With ``rotate`` a refresh token works once: each refresh answers a new one and the old one is refused (the
    OAuth 2.1 rotation that makes a leaked refresh token detectable).
    """

    CODE_TTL_S = 60.0

    def __init__(self, ttl_s: float, clock: Callable[[], float], *, rotate: bool = False) -> None:
        self.ttl_s = ttl_s
        self.rotate = rotate
        self._clock = clock
        self._access: dict[str, float] = {}
        self._refresh: dict[str, str] = {}
        self._grants: dict[str, Grant] = {}
        """Every live access or refresh token → its grant."""
        self._codes: dict[str, PendingCode] = {}

    def issue(self, scope: str, subject: str = "", *, grant: Grant | None = None) -> dict[str, Any]:
        """A new access and refresh token pair, as the body of a token response (RFC 6749 §5.1)."""
        grant = grant or Grant(scope, subject)
        access, refresh = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
        self._access[access] = self._clock() + self.ttl_s
        self._refresh[refresh] = grant.scope
        self._grants[access] = self._grants[refresh] = grant
        scope = grant.scope
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
        """The scope a refresh token was issued for; ``None`` when unknown (or revoked, or rotated away)."""
        return self._refresh.get(token)

    def redeem_refresh(self, token: str) -> Grant | None:
        """The grant of a refresh token about to be used; with rotation the token is spent by this."""
        if token not in self._refresh:
            return None
        grant = self._grants.get(token)
        if self.rotate:
            del self._refresh[token]
            self._grants.pop(token, None)
        return grant

    def subject(self, access_token: str) -> str | None:
        """Whose data a live access token reaches."""
        grant = self._grants.get(access_token)
        return grant.subject if grant is not None and self.access_state(access_token) == "live" else None

    def new_code(self, grant: Grant, client_id: str, redirect_uri: str, challenge: str | None) -> str:
        code = "code-" + secrets.token_urlsafe(24)
        self._codes[code] = PendingCode(grant, client_id, redirect_uri, challenge, self._clock() + self.CODE_TTL_S)
        return code

    def redeem_code(self, code: str) -> PendingCode | None:
        """The pending authorization for ``code`` (spent by this); ``None`` when unknown, used or expired."""
        pending = self._codes.pop(code, None)
        if pending is None or self._clock() >= pending.expires_at:
            return None
        return pending

    def revoke(self, token: str) -> None:
        """RFC 7009: forget ``token``; revoking a refresh token also ends the access tokens of its grant."""
        grant = self._grants.pop(token, None)
        self._access.pop(token, None)
        if self._refresh.pop(token, None) is not None and grant is not None:
            for other in [t for t, g in self._grants.items() if g is grant]:
                self._grants.pop(other, None)
                self._access.pop(other, None)
                self._refresh.pop(other, None)


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
    """``POST /oauth/token``: the client credentials, authorization code (with PKCE) and refresh token grants
    (RFC 6749 §4.4, §4.1.3, §6; RFC 7636).

    The client may authenticate with HTTP Basic or with ``client_id``/``client_secret`` in the form body;
    a refresh without client credentials is accepted, since the refresh token itself is the proof, and so is a
    code exchange by a public client (``client_id`` only) when the code was asked for with a PKCE challenge.
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
        if grant not in ("client_credentials", "refresh_token", "authorization_code"):
            return _oauth_error(
                400,
                "unsupported_grant_type",
                f"{grant!r} is not supported (client_credentials, authorization_code or refresh_token)",
            )
        public = grant == "authorization_code" and _is_public_client(request, form)
        client = None if public else _client_credentials(request, form)
        if client is None and grant == "client_credentials":
            return _oauth_error(401, "invalid_client", "send client_id and client_secret (HTTP Basic or form)")
        if client is not None and not (
            _same(client[0], self._config.client_id) & _same(client[1], self._config.client_secret)
        ):
            return _oauth_error(401, "invalid_client", "unknown client or wrong client secret")
        if grant == "authorization_code":
            return self._exchange_code(form, client[0] if client is not None else form.get("client_id", ""))
        if grant == "refresh_token":
            granted = self._tokens.redeem_refresh(form.get("refresh_token", ""))
            if granted is None:
                problem = "the refresh token is unknown"
                if self._tokens.rotate:
                    problem += " (revoked, or already used: refresh tokens rotate here)"
                return _oauth_error(400, "invalid_grant", problem)
            return json_response(self._tokens.issue(granted.scope, grant=granted), headers=_NO_STORE)
        scope = form.get("scope", "").strip() or DEFAULT_SCOPE
        subject = client[0] if client is not None else ""
        return json_response(self._tokens.issue(scope, subject), headers=_NO_STORE)

    def _exchange_code(self, form: dict[str, str], client_id: str) -> web.Response:
        pending = self._tokens.redeem_code(form.get("code", ""))
        if pending is None:
            return _oauth_error(400, "invalid_grant", "the authorization code is unknown, already used or expired")
        if not _same(client_id, pending.client_id):
            return _oauth_error(400, "invalid_grant", "the authorization code was issued to another client")
        if form.get("redirect_uri", "") != pending.redirect_uri:
            return _oauth_error(400, "invalid_grant", "redirect_uri is not the one the code was issued for")
        if pending.challenge is not None:
            verifier = form.get("code_verifier", "")
            if not verifier:
                return _oauth_error(400, "invalid_grant", "code_verifier is required (the code has a PKCE challenge)")
            if not _same(s256(verifier), pending.challenge):
                return _oauth_error(400, "invalid_grant", "the code_verifier does not match the code_challenge")
        return json_response(self._tokens.issue(pending.grant.scope, grant=pending.grant), headers=_NO_STORE)


def s256(verifier: str) -> str:
    """The PKCE S256 code challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class AuthorizeEndpoint:
    """``GET /oauth/authorize``: a consent screen that approves at once (RFC 6749 §4.1.1, RFC 7636).

    It redirects to ``redirect_uri`` (loopback addresses only, any port: RFC 8252 §7.3) with ``code`` and
    ``state``; ``deny=1`` in the query plays a user refusing consent (``error=access_denied``). An unknown
    client or a bad ``redirect_uri`` is answered here with 400, never redirected (§4.1.2.1).
    """

    def __init__(self, config: DemoConfig, tokens: TokenStore, stats: DemoStats) -> None:
        self._config = config
        self._tokens = tokens
        self._stats = stats

    async def handle(self, request: web.Request) -> web.Response:
        self._stats.authorize_requests += 1
        query = request.query
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if not _same(client_id, self._config.client_id):
            return _oauth_error(400, "invalid_client", "unknown client_id")
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or parts.fragment:
            return _oauth_error(400, "invalid_request", "redirect_uri must be http://127.0.0.1:<port>/… (loopback)")
        state = query.get("state")

        def back(**params: str) -> web.Response:
            if state is not None:
                params["state"] = state
            separator = "&" if parts.query else "?"
            location = f"{redirect_uri}{separator}{urlencode(params)}"
            return web.Response(status=302, headers={**_NO_STORE, "Location": location})

        if query.get("response_type") != "code":
            return back(error="unsupported_response_type", error_description="only response_type=code is supported")
        challenge = query.get("code_challenge")
        if challenge is not None and query.get("code_challenge_method", "plain") != "S256":
            return back(error="invalid_request", error_description="only code_challenge_method=S256 is supported")
        if challenge is None and self._config.require_pkce:
            return back(error="invalid_request", error_description="a PKCE code_challenge (S256) is required")
        if query.get("deny") in ("1", "true", "yes"):
            return back(error="access_denied", error_description="the user denied the request")
        scope = query.get("scope", "").strip() or DEFAULT_SCOPE
        grant = Grant(scope, self._config.username)
        return back(code=self._tokens.new_code(grant, client_id, redirect_uri, challenge))


class RevocationEndpoint:
    """``POST /oauth/revoke`` (RFC 7009): the client authenticates; any token it names is forgotten.

    Unknown tokens are answered 200 as well (§2.2: the client cannot do anything about them).
    """

    def __init__(self, config: DemoConfig, tokens: TokenStore, stats: DemoStats) -> None:
        self._config = config
        self._tokens = tokens
        self._stats = stats

    async def handle(self, request: web.Request) -> web.Response:
        self._stats.revocations += 1
        form = await _form(request)
        if _is_public_client(request, form):
            if not _same(form.get("client_id", ""), self._config.client_id):
                return _oauth_error(401, "invalid_client", "unknown client")
        else:
            client = _client_credentials(request, form)
            if client is None or not (
                _same(client[0], self._config.client_id) & _same(client[1], self._config.client_secret)
            ):
                return _oauth_error(401, "invalid_client", "unknown client or wrong client secret")
        token = form.get("token", "")
        if not token:
            return _oauth_error(400, "invalid_request", "token is required")
        self._tokens.revoke(token)
        return web.Response(status=200, headers=_NO_STORE)


def account_of(request: web.Request, config: DemoConfig, tokens: TokenStore) -> dict[str, Any]:
    """``GET /api/me``: who the request's (already accepted) credential belongs to."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    subject = tokens.subject(value.strip()) if scheme.lower() == "bearer" else None
    if subject and subject == config.client_id:
        return {"login": subject, "name": f"{subject} (application)", "type": "application"}
    login = subject or config.username
    return {"login": login, "name": "Demo User", "email": f"{login}@example.com", "type": "user"}


def _is_public_client(request: web.Request, form: dict[str, str]) -> bool:
    """A client sending only its ``client_id`` (RFC 6749 §2.3 ``none``): no Basic header, no secret."""
    has_basic = request.headers.get("Authorization", "").lower().startswith("basic ")
    return not has_basic and "client_id" in form and not form.get("client_secret")


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
