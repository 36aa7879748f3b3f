"""The one exception tree of flowdesk.

Three kinds of failure, told apart by their base class:

* :class:`UserError` -- the input is wrong (a connection file, a flow, a command-line value). The message
  names *what* is wrong and *where* (a file, a field path, a node). The CLI exits with status 2.
* :class:`OperationalError` -- the world is not as hoped (the network, a server, credentials, a rate
  limit, a locked secret store). The message says what to check or do. The CLI exits with status 1.
* anything else is a bug and is shown with its traceback.

Third-party errors (httpx, authlib, SQLAlchemy, keyring) are translated into these at the boundary of the
package that uses the library, with ``raise ... from exc``. Messages never contain secret values.
"""

from __future__ import annotations


class FlowdeskError(Exception):
    """Base of every error flowdesk raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UserError(FlowdeskError):
    """The input is wrong; the message says what and where."""


class InvalidConfigError(UserError):
    """A connection, entity or flow description does not validate.

    ``problems`` lists ``(location, message)`` pairs, location being a dotted field path such as
    ``auth.type`` or ``entities[0].data_path`` (or ``nodes.fetch.config.entity`` for flows).
    """

    def __init__(self, what: str, problems: list[tuple[str, str]]) -> None:
        self.what = what
        self.problems = problems
        lines = "\n".join(f"  {loc or '(top level)'}: {msg}" for loc, msg in problems)
        super().__init__(f"{what} is invalid:\n{lines}")


class NotFoundError(UserError):
    """A named thing (connection, entity, flow, workspace, run) does not exist."""


class NotPermittedError(UserError):
    """The acting user's role in the workspace does not allow the action (``permission denied: …``).

    Not to be confused with :class:`PermissionDeniedError`, an API's HTTP 403. ``user``, ``role`` (``None``
    for someone who is not a member), ``needed`` and ``action`` say who tried what.
    """

    def __init__(
        self, message: str, *, hint: str | None = None, user: str, role: str | None, needed: str, action: str
    ) -> None:
        super().__init__(message, hint=hint)
        self.user = user
        self.role = role
        self.needed = needed
        self.action = action


class ConflictError(UserError):
    """The change would break a rule of the workspace (a duplicate name or service)."""


class OperationalError(FlowdeskError):
    """Something outside flowdesk failed; the message says what to check."""


class SecretStoreError(OperationalError):
    """Secrets cannot be read or written (no keychain, locked vault)."""


class MasterPasswordRequiredError(SecretStoreError):
    """No OS keychain is usable and no master password was given."""


class WrongMasterPasswordError(SecretStoreError):
    """The master password does not open the vault; nothing was changed."""


class ApiError(OperationalError):
    """A call to an API failed.

    ``method``/``url`` (redacted), ``status`` (``None`` when no response came) and ``attempts`` say which
    call and how often it was tried.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        method: str = "",
        url: str = "",
        status: int | None = None,
        attempts: int = 1,
        body_excerpt: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.method = method
        self.url = url
        self.status = status
        self.attempts = attempts
        self.body_excerpt = body_excerpt


class HttpStatusError(ApiError):
    """The server answered with a status outside 2xx."""


class BadRequestError(HttpStatusError):
    """400 or 422: the server refused the request's content."""


class AuthenticationError(HttpStatusError):
    """401: the credentials were refused."""


class PermissionDeniedError(HttpStatusError):
    """403: the credentials lack a permission or scope."""


class ResourceNotFoundError(HttpStatusError):
    """404: the URL does not exist on the server."""


class RateLimitedError(HttpStatusError):
    """429 after every retry."""


class ServerError(HttpStatusError):
    """5xx after every retry."""


class TransportError(ApiError):
    """No usable HTTP response: the connection, TLS or timeout failed."""


class ConnectFailedError(TransportError):
    """The host could not be reached."""


class RequestTimeoutError(TransportError):
    """The server did not answer within the connection's timeout."""


class TlsError(TransportError):
    """TLS verification or handshake failed."""


class InvalidResponseError(ApiError):
    """The server answered, but not with what the entity expects (not JSON, no data at data_path)."""


class ReauthorizationNeededError(ApiError):
    """OAuth credentials were refused even after a token refresh; the user must authorise again."""


class AuthorizationError(OperationalError):
    """The OAuth 2 authorization-code flow did not end with tokens; nothing was stored."""


class AuthorizationDeniedError(AuthorizationError):
    """The user (or the provider) refused consent: the redirect carried ``error=access_denied`` or another error."""


class AuthorizationStateError(AuthorizationError):
    """The redirect's ``state`` is not the one sent: a stale browser tab or a forged redirect (CSRF)."""


class AuthorizationTimeoutError(AuthorizationError):
    """No redirect reached the loopback address in time."""
