"""OAuth 2 tokens of a workspace's connections (a mixin of :class:`~flowdesk.workspace.Workspace`).

``authorize`` runs the browser consent and seals the tokens; the connection's client then renews them before
they expire (or after a 401), and every new token -- a rotated refresh token included -- is sealed in one
transaction through the client's ``on_token`` hook. When the provider refuses the tokens the connection is
marked ``reauth_needed`` (the list and the dashboard show it) until it is authorised again. ``disconnect``
revokes the tokens at the provider (RFC 7009, when the connection has a ``revocation_url``) and deletes them.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from flowdesk.model import Connection, OAuth2Auth
from flowdesk.model.errors import (
    AuthorizationError,
    FlowdeskError,
    ReauthorizationNeededError,
    UserError,
)
from flowdesk.store import Store
from flowdesk.workspace._access import requires

if TYPE_CHECKING:  # the OAuth client and the browser consent load when a connection is authorised
    from flowdesk.connections import BrowserOpener, ConnectionClient
    from flowdesk.store import RunInfo
    from flowdesk.workspace._workspace import Workspace

RECENT_RUNS_S = 7 * 86_400.0
"""Runs this recent are named when disconnecting a connection their flow uses."""


@dataclass(frozen=True)
class AuthorizeResult:
    """A finished consent: the tokens are sealed in the store; ``account`` is whom they act for.

    ``account`` comes from the connection's "who am I" test request; ``None`` (with ``test_error``) when that
    request failed -- the tokens are kept, since the provider did issue them.
    """

    connection: str
    account: str | None
    scope: str | None
    expires_at: float | None
    has_refresh_token: bool
    test_error: str | None = None


@dataclass(frozen=True)
class RefreshResult:
    connection: str
    expires_at: float | None


@dataclass(frozen=True)
class DisconnectResult:
    """Tokens deleted; ``revoked`` lists what the provider revoked; ``warnings`` what the user should know."""

    connection: str
    revoked: list[str]
    warnings: list[str] = field(default_factory=list)


class AuthServices:
    """The OAuth part of the workspace API."""

    if TYPE_CHECKING:  # provided by Workspace
        store: Store
        user: str

        @property
        def name(self) -> str: ...
        def get_connection(self, name: str, *, secrets: bool = True) -> Connection: ...
        def client(self, connection: str) -> ConnectionClient: ...
        def list_runs(self, flow: str | None = None, limit: int = 50) -> list[RunInfo]: ...
        def _forget_client(self, name: str) -> None: ...
        def _audit(self, action: str, target: str, detail: dict[str, Any] | None = None) -> None: ...

    @requires("admin", "authorising connections")
    async def authorize(
        self,
        name: str,
        *,
        open_browser: BrowserOpener,
        timeout_s: float = 300.0,
        port: int = 0,
    ) -> AuthorizeResult:
        """Authorise connection ``name`` in the browser (authorization code + PKCE, loopback redirect).

        ``open_browser`` gets the authorize URL (``webbrowser.open``, or print it). On success the access and
        refresh tokens and the expiry are sealed in the store in one transaction, the connection's
        ``reauth_needed`` mark is cleared, and its "who am I" request names the account.

        Raises:
            NotPermittedError: the acting user is not an admin.
            InvalidConfigError: the connection does not use the OAuth 2 authorization-code grant.
            AuthorizationDeniedError / AuthorizationStateError / AuthorizationTimeoutError / AuthorizationError:
                the consent did not end with tokens; nothing was stored.
        """
        from flowdesk.connections import authorization_settings, authorize_code

        connection = self.get_connection(name)
        settings = authorization_settings(connection)
        try:
            issued = await authorize_code(connection, open_browser=open_browser, timeout_s=timeout_s, port=port)
        except AuthorizationError as exc:
            self._audit("connection.authorize_failed", name, {"error": type(exc).__name__})
            raise
        self.store.save_oauth_tokens(
            self.name,
            name,
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_at=issued.expires_at,
            lifetime_s=issued.lifetime_s,
        )
        self._forget_client(name)
        account, test_error = await self._who_am_i(name)
        self._audit(
            "connection.authorize",
            name,
            {"account": account, "scope": issued.scope or settings.scope, "refresh_token": bool(issued.refresh_token)},
        )
        return AuthorizeResult(
            connection=name,
            account=account,
            scope=issued.scope,
            expires_at=issued.expires_at,
            has_refresh_token=bool(issued.refresh_token),
            test_error=test_error,
        )

    @requires("admin", "refreshing connection tokens")
    async def refresh_connection(self, name: str) -> RefreshResult:
        """Renew the OAuth token of ``name`` now (and seal it, a rotated refresh token with it).

        Raises:
            NotPermittedError: the acting user is not an admin.
            UserError: the connection does not use OAuth 2.
            ReauthorizationNeededError: the provider refused (the connection is now marked ``reauth_needed``).
            TransportError: the token endpoint could not be reached.
        """
        client = self.client(name)
        try:
            expires_at = await client.refresh_token()
        except ReauthorizationNeededError as exc:
            self._audit("connection.refresh_failed", name, {"status": exc.status})
            raise
        self._audit("connection.refresh", name, {"expires_at": expires_at})
        return RefreshResult(name, expires_at)

    @requires("admin", "disconnecting connections")
    async def disconnect(self, name: str) -> DisconnectResult:
        """Revoke the tokens of ``name`` at the provider (RFC 7009, when it has a ``revocation_url``), then
        delete them; the connection stays, marked ``reauth_needed``, ready to be authorised again.

        Never fails because of the provider: a failed revocation is a warning (revoke the app's access in the
        provider's settings), and the local tokens are deleted anyway.

        Raises:
            NotPermittedError: the acting user is not an admin.
            UserError: the connection does not use OAuth 2.
        """
        connection = self.get_connection(name)
        auth = connection.auth
        if not isinstance(auth, OAuth2Auth):
            raise UserError(
                f"connection {name!r} uses {auth.type} auth: there are no OAuth tokens to disconnect",
                hint=f"flowdesk connection remove {name} deletes the connection with its secrets",
            )
        from flowdesk.connections import revoke_tokens

        warnings: list[str] = []
        outcome = await revoke_tokens(connection)
        warnings += outcome.problems
        if outcome.problems:
            warnings.append("the provider may still hold the access: revoke flowdesk in the provider's app settings")
        elif not auth.revocation_url and (auth.access_token or auth.refresh_token):
            warnings.append(
                "this connection has no revocation_url, so the tokens were only deleted here: revoke flowdesk in the "
                "provider's app settings to end the access there"
            )
        self._forget_client(name)
        had_tokens = self.store.clear_oauth_tokens(self.name, name)
        warnings += self._usage_warnings(name)
        self._audit(
            "connection.disconnect",
            name,
            {"revoked": outcome.revoked, "tokens_deleted": had_tokens, "revocation_problems": len(outcome.problems)},
        )
        return DisconnectResult(name, outcome.revoked, warnings)

    @requires("viewer", "seeing what uses a connection")
    def disconnect_warnings(self, name: str) -> list[str]:
        """What disconnecting ``name`` would affect (the flows that use it, their recent runs), for a
        confirmation before :meth:`disconnect`; ``[]`` when nothing uses it."""
        return self._usage_warnings(name)

    @requires("editor", "reading connection settings")
    def signed_in_account(self, name: str) -> str | None:
        """The account the last browser sign-in of ``name`` named ("who am I"), or ``None`` when it was never
        authorised, was disconnected since, or the provider's answer named no account."""
        events = self.store.list_audit(
            self.name, limit=1, target=name, actions=("connection.authorize", "connection.disconnect")
        )
        if not events or events[0].action != "connection.authorize":
            return None
        account = (events[0].detail or {}).get("account")
        return str(account) if account else None

    # --- internals -----------------------------------------------------------------------------------

    async def _who_am_i(self, name: str) -> tuple[str | None, str | None]:
        """The account the connection's test request names, or ``(None, what failed)``."""
        from flowdesk.model.presets import account_label, service_presets

        client = self.client(name)
        connection = client.connection
        entity = connection.entity(connection.test_entity) if connection.test_entity else None
        try:
            response = await client.send(entity)
        except FlowdeskError as exc:
            return None, exc.message
        preset = service_presets().get(connection.service)
        account = account_label(response.body, preset.account_path if preset is not None else None)
        return account, None if account else "the test request's answer names no account"

    def _oauth_hooks(self, name: str, connection: Connection) -> dict[str, Any]:
        """The ``on_token`` / ``on_reauth_needed`` hooks of connection ``name``'s client."""
        if not isinstance(connection.auth, OAuth2Auth):
            return {}
        code_grant = connection.auth.grant == "authorization_code"

        async def save(token: dict[str, Any]) -> None:
            # the token source calls this inside its lock: a rotated refresh token is sealed before it is used
            self.store.save_oauth_tokens(
                self.name,
                name,
                access_token=str(token["access_token"]),
                refresh_token=token.get("refresh_token"),
                expires_at=token.get("expires_at"),
                lifetime_s=token.get("token_lifetime_s"),
            )

        def refused(error: ReauthorizationNeededError) -> None:
            if not code_grant:
                return  # client credentials: a configuration problem, shown as "failing" by the calls
            with contextlib.suppress(FlowdeskError):  # the connection may have been removed meanwhile
                self.store.set_auth_state(self.name, name, "reauth_needed")
                self._audit("connection.reauth_needed", name, {"status": error.status})

        async def load() -> dict[str, Any] | None:
            auth = self.store.get_connection(self.name, name).auth
            if not isinstance(auth, OAuth2Auth) or auth.access_token is None or auth.refresh_token is None:
                return None
            return {
                "access_token": auth.access_token.get_secret_value(),
                "refresh_token": auth.refresh_token.get_secret_value(),
                "expires_at": auth.expires_at,
                "token_lifetime_s": auth.token_lifetime_s,
            }

        return {"on_token": save, "on_reauth_needed": refused, "load_stored_token": load}

    def _usage_warnings(self, name: str) -> list[str]:
        from flowdesk.workspace._window_support import flows_using

        flows = flows_using(cast("Workspace", self), name)
        if not flows:
            return []
        warnings = [
            f"flow(s) {', '.join(flows)} use connection {name!r}: they fail until it is authorised again "
            f"(flowdesk connection authorize {name})"
        ]
        since = time.time() - RECENT_RUNS_S
        recent = [run for flow in flows for run in self.list_runs(flow, limit=20) if run.started_at >= since]
        if recent:
            recent.sort(key=lambda r: r.started_at, reverse=True)
            shown = ", ".join(f"{r.flow_name} {r.id[:8]} ({r.trigger}, {r.status})" for r in recent[:5])
            more = f" and {len(recent) - 5} more" if len(recent) > 5 else ""
            warnings.append(f"recent runs used it: {shown}{more}")
        return warnings
