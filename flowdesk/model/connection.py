"""Connections and their entities: the on-disk format of ``connection add FILE`` and the stored form.

Secret fields are :class:`pydantic.SecretStr`, so they never show in a ``repr``, a log line or an error.
In files a secret may be written as ``${env:NAME}`` (see :mod:`flowdesk.model.secrets`).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from flowdesk.model._variants import normalise_variant
from flowdesk.model.jsonpath import check_path

GENERIC_SERVICES = frozenset({"rest", "odata", "graphql"})
"""Services keyed by name; every other service is a preset allowed once per workspace."""

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=False)


# --- authentication ------------------------------------------------------------------------------------


class NoAuth(_Strict):
    type: Literal["none"] = "none"
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ()


class ApiKeyAuth(_Strict):
    """An API key sent in a header (default ``X-API-Key``) or a query parameter."""

    type: Literal["api_key"] = "api_key"
    location: Literal["header", "query"] = "header"
    name: str = "X-API-Key"
    key: SecretStr | None = None
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("key",)

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "in" in data and "location" not in data:
                data["location"] = data.pop("in")
            if "value" in data and "key" not in data:
                data["key"] = data.pop("value")
        return data


class BasicAuth(_Strict):
    type: Literal["basic"] = "basic"
    username: str = ""
    password: SecretStr | None = None
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("password",)


class DigestAuth(_Strict):
    type: Literal["digest"] = "digest"
    username: str = ""
    password: SecretStr | None = None
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("password",)


class BearerAuth(_Strict):
    type: Literal["bearer"] = "bearer"
    token: SecretStr | None = None
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("token",)


class OAuth2Auth(_Strict):
    """OAuth 2: client credentials, or authorization code (with PKCE) whose tokens the store keeps."""

    type: Literal["oauth2"] = "oauth2"
    grant: Literal["client_credentials", "authorization_code"] = "client_credentials"
    client_id: str = ""
    client_secret: SecretStr | None = None
    token_url: str = ""
    authorize_url: str | None = None
    revocation_url: str | None = None
    scope: str | None = None
    audience: str | None = None
    use_pkce: bool = True
    client_auth: Literal["basic", "post"] = "basic"
    refresh_leeway_s: float | None = Field(None, ge=0)
    """Renew a token this long before it expires; ``None``: a minute, or 7 days for tokens living over 30 days."""
    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    expires_at: float | None = None
    """When the stored access token expires (epoch seconds); kept by ``connection authorize`` and refreshes."""
    token_lifetime_s: float | None = None
    """The stored access token's ``expires_in`` when it was issued (picks the automatic leeway)."""
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("client_secret", "access_token", "refresh_token")
    TOKEN_FIELDS: ClassVar[tuple[str, ...]] = ("access_token", "refresh_token")
    """The secrets a provider issues (``connection authorize``), as opposed to those the user enters."""

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, dict) and "revoke_url" in data and "revocation_url" not in data:
            data = dict(data)
            data["revocation_url"] = data.pop("revoke_url")
        return data

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            return " ".join(str(v) for v in value)
        return value

    @model_validator(mode="after")
    def _urls(self) -> OAuth2Auth:
        if not self.token_url:
            raise ValueError("token_url is required for oauth2")
        _check_url(self.token_url, "token_url")
        if self.grant == "authorization_code" and not self.authorize_url:
            raise ValueError("authorize_url is required for the authorization_code grant")
        if self.authorize_url:
            _check_url(self.authorize_url, "authorize_url")
        if self.revocation_url:
            _check_url(self.revocation_url, "revocation_url")
        return self


Auth = Annotated[
    NoAuth | ApiKeyAuth | BasicAuth | DigestAuth | BearerAuth | OAuth2Auth,
    Field(discriminator="type"),
]
AUTH_TYPES = frozenset({"none", "api_key", "basic", "digest", "bearer", "oauth2"})


# --- transport settings --------------------------------------------------------------------------------


class RetryPolicy(_Strict):
    """How failed calls are retried: ``count`` retries after the first attempt, backoff doubling."""

    count: int = Field(3, ge=0, le=20)
    backoff_s: float = Field(1.0, ge=0)
    max_backoff_s: float = Field(60.0, ge=0)
    on: list[int] = Field(default_factory=lambda: [429, 500, 502, 503, 504])

    @field_validator("on")
    @classmethod
    def _statuses(cls, value: list[int]) -> list[int]:
        for status in value:
            if not 100 <= status <= 599:
                raise ValueError(f"{status} is not an HTTP status")
        return value


class RateLimit(_Strict):
    """At most ``requests`` calls in any window of ``per_s`` seconds."""

    requests: int = Field(ge=1)
    per_s: float = Field(gt=0)


class Proxy(_Strict):
    url: str
    username: str | None = None
    password: SecretStr | None = None
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("password",)

    @model_validator(mode="before")
    @classmethod
    def _credentials_out_of_url(cls, data: Any) -> Any:
        """``http://user:pass@host`` becomes ``username``/``password``: the password is a secret, the URL is not."""
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            return data
        parts = urlsplit(data["url"])
        if parts.username is None and parts.password is None:
            return data
        data = dict(data)
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        data["url"] = urlunsplit(parts._replace(netloc=netloc))
        data.setdefault("username", unquote(parts.username or "") or None)
        if parts.password is not None and not data.get("password"):
            data["password"] = unquote(parts.password)
        return data

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value, "proxy url", schemes=("http", "https", "socks5"))


class ClientCert(_Strict):
    cert: str
    key: str | None = None
    password: SecretStr | None = None
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("password",)


SENSITIVE_NAME = re.compile(r"authorization|cookie|token|secret|password|passwd|api[-_]?key|^x-.*key", re.I)
"""Header (and query parameter) names whose values are credentials."""


# --- entities ------------------------------------------------------------------------------------------


class NoPagination(_Strict):
    type: Literal["none"] = "none"


class OffsetPagination(_Strict):
    """``?offset=0&limit=100``, then 100, 200 … until a page has fewer records than ``limit``.

    With ``total_path`` (where the response gives the record count, e.g. ``$.total``) it also stops once
    ``offset + records`` reaches the total, sparing the empty page a count that divides evenly would need.
    """

    type: Literal["offset"] = "offset"
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = Field(100, ge=1)
    start: int = Field(0, ge=0)
    total_path: str | None = None

    @field_validator("total_path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        return _check_jsonpath(value)


class PagePagination(_Strict):
    """``?page=1&per_page=100`` … until ``page >= total pages`` (or a short/empty page without a total)."""

    type: Literal["page"] = "page"
    page_param: str = "page"
    size_param: str | None = "per_page"
    size: int = Field(100, ge=1)
    start: int = 1
    total_pages_path: str | None = None

    @field_validator("total_pages_path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        return _check_jsonpath(value)


class CursorPagination(_Strict):
    """``?cursor=…`` taken from ``next_cursor_path`` of the previous page, until it is empty."""

    type: Literal["cursor"] = "cursor"
    cursor_param: str = "cursor"
    next_cursor_path: str = "$.next_cursor"
    limit_param: str | None = None
    limit: int | None = Field(None, ge=1)

    @field_validator("next_cursor_path")
    @classmethod
    def _path(cls, value: str) -> str:
        checked = _check_jsonpath(value)
        assert checked is not None
        return checked


class LinkHeaderPagination(_Strict):
    """RFC 8288: follow ``Link: <url>; rel="next"`` until there is none."""

    type: Literal["link_header"] = "link_header"


Pagination = Annotated[
    NoPagination | OffsetPagination | PagePagination | CursorPagination | LinkHeaderPagination,
    Field(discriminator="type"),
]
PAGINATION_TYPES = frozenset({"none", "offset", "page", "cursor", "link_header"})


class SchemaField(_Strict):
    """One field of an entity's records: where it sits (JSONPath) and its JSON type."""

    field: str
    type: str = "string"
    path: str | None = None
    description: str | None = None


class EntityOrigin(_Strict):
    """Where a discovered entity came from, and a fingerprint of it as imported.

    Re-discovery compares the fingerprint with the entity as stored now: a difference means the user edited
    it since, so it is not overwritten. Hand-made entities have no origin.
    """

    source: str
    """The kind of description: ``openapi-3.0``, ``openapi-3.1``, ``swagger-2.0``, ``odata-v4``, ``graphql`` …"""
    ref: str
    """The file (absolute path) or URL it was read from."""
    fingerprint: str
    """:meth:`Entity.fingerprint` of the entity as imported."""


class Entity(_Strict):
    """One endpoint of a connection."""

    name: str = Field(min_length=1)
    method: str = "GET"
    path: str = ""
    description: str | None = None
    query: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    body_type: Literal["json", "form", "multipart", "text"] = "json"
    data_path: str | None = None
    idempotent: bool = False
    pagination: Pagination = Field(default_factory=NoPagination)
    schema_: list[SchemaField] = Field(default_factory=list, alias="schema")
    tags: list[str] = Field(default_factory=list)
    parameters: list[dict[str, Any]] = Field(default_factory=list)
    response_schema: dict[str, Any] | None = None
    """JSON Schema of a successful response body (kept by discovery), checked by the contract checks."""
    origin: EntityOrigin | None = None

    def fingerprint(self) -> str:
        """A stable hash of everything the entity says except its ``origin``.

        Order that carries no meaning does not count: mapping keys, and the order of schema fields,
        parameters and tags (a description re-saved by a tool that sorts keys describes the same API).
        """
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"origin"})
        data["schema"] = sorted(data.get("schema", []), key=lambda f: str(f.get("field")))
        data["parameters"] = sorted(data.get("parameters", []), key=lambda p: (str(p.get("in")), str(p.get("name"))))
        data["tags"] = sorted(data.get("tags", []))
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, value: Any) -> Any:
        if isinstance(value, str):
            upper = value.upper()
            if upper not in HTTP_METHODS:
                raise ValueError(f"unknown HTTP method {value!r} (expected one of {', '.join(HTTP_METHODS)})")
            return upper
        return value

    @field_validator("data_path")
    @classmethod
    def _data_path(cls, value: str | None) -> str | None:
        return _check_jsonpath(value)

    @field_validator("headers", "query")
    @classmethod
    def _no_literal_credentials(cls, value: dict[str, Any]) -> dict[str, Any]:
        """An entity is stored and exported in the clear, so it must not carry a credential itself."""
        for name, item in value.items():
            if SENSITIVE_NAME.search(name) and isinstance(item, str) and item and "{" not in item:
                raise ValueError(
                    f"{name!r} holds a credential: put it in the connection's auth or headers (sealed in the "
                    f"keychain), or template it, e.g. {{vars.{name.lower().replace('-', '_')}}}"
                )
        return value

    @field_validator("pagination", mode="before")
    @classmethod
    def _pagination(cls, value: Any) -> Any:
        return _check_variant(normalise_variant(value, PAGINATION_TYPES), PAGINATION_TYPES, "pagination")


# --- connection ----------------------------------------------------------------------------------------


class Connection(_Strict):
    """Everything needed to talk to one API."""

    name: str = Field(min_length=1, max_length=100)
    service: str = "rest"
    base_url: str
    description: str | None = None
    timeout: float = Field(30.0, gt=0, le=3600)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    rate_limit: RateLimit | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    verify_ssl: bool = True
    ca_bundle: str | None = None
    client_cert: ClientCert | None = None
    proxy: Proxy | None = None
    auth: Auth = Field(default_factory=NoAuth)
    entities: list[Entity] = Field(default_factory=list)
    test_entity: str | None = None
    reenter_secrets: list[str] = Field(default_factory=list, exclude=True)
    """Written by ``connection export``: the secret fields left empty that must be entered again."""

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("proxy"), str):
            data["proxy"] = {"url": data["proxy"]}
        if isinstance(data.get("client_cert"), str):
            data["client_cert"] = {"cert": data["client_cert"]}
        if isinstance(data.get("retry"), int) and not isinstance(data.get("retry"), bool):
            data["retry"] = {"count": data["retry"]}
        return data

    @field_validator("auth", mode="before")
    @classmethod
    def _auth(cls, value: Any) -> Any:
        return _check_variant(normalise_variant(value, AUTH_TYPES), AUTH_TYPES, "auth")

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        value = value.strip().lower()
        if not value.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"service {value!r} must be a plain name such as rest, odata, graphql or github")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _check_url(value, "base_url").rstrip("/")

    @model_validator(mode="after")
    def _unique_entities(self) -> Connection:
        seen: set[str] = set()
        for entity in self.entities:
            if entity.name in seen:
                raise ValueError(f"two entities are named {entity.name!r}")
            seen.add(entity.name)
        return self

    @property
    def is_preset(self) -> bool:
        """A preset service (github, stripe, …) is allowed once per workspace."""
        return self.service not in GENERIC_SERVICES

    def entity(self, name: str) -> Entity | None:
        """The entity called ``name`` (case-sensitive), if any."""
        return next((e for e in self.entities if e.name == name), None)


# --- helpers -------------------------------------------------------------------------------------------


def _check_url(value: str, what: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} is empty")
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError(f"{what} {value!r} must start with {' or '.join(s + '://' for s in schemes)}")
    if not parts.hostname:
        raise ValueError(f"{what} {value!r} has no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{what} {value!r} has a port out of range (1-65535)") from None
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"{what} {value!r} has port {port}, out of range (1-65535)")
    return value


def _check_jsonpath(value: str | None) -> str | None:
    if value is None or value in ("", "$"):
        return value
    try:
        check_path(value)
    except Exception as exc:
        raise ValueError(str(exc)) from None
    return value


def _check_variant(value: Any, known: frozenset[str], what: str) -> Any:
    if isinstance(value, dict) and "type" in value and value["type"] not in known:
        raise ValueError(
            f"unknown {what} type {value['type']!r} (expected one of {', '.join(sorted(known))})"
        )
    return value
