"""Discovering a connection's entities from an OpenAPI/Swagger document, OData $metadata or GraphQL.

Documents given as URLs are fetched through the connection's own client, so its auth, TLS and proxy
settings apply (a spec behind the API's login works).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from flowdesk.discovery import (
    INTROSPECTION_QUERY,
    DiscoveryResult,
    discover_graphql,
    discover_odata,
    discover_openapi,
    plan_rediscovery,
)
from flowdesk.model.errors import UserError
from flowdesk.model.files import parse_text

__all__ = [
    "INTROSPECTION_QUERY",
    "DiscoveryResult",
    "description_ref",
    "discover_graphql",
    "discover_odata",
    "discover_openapi",
    "graphql_from_text",
    "is_url",
    "odata_metadata_url",
    "openapi_from_file",
    "plan_rediscovery",
    "read_local",
]


def is_url(ref: str) -> bool:
    return urlsplit(ref).scheme in ("http", "https")


def description_ref(ref: str) -> str:
    """How an entity's origin names its description: a URL as given, a file by its absolute path.

    Re-discovery compares this to find the entities a description no longer has, so the same file must
    give the same ref from any working directory.
    """
    return ref if is_url(ref) else str(Path(ref).resolve())


def read_local(ref: str) -> str:
    """A spec file's text.

    Raises:
        UserError: the file is missing, unreadable or not UTF-8 text, naming it.
    """
    path = Path(ref)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{ref}: no such file (give a file path or an http(s) URL)") from None
    except OSError as exc:
        raise UserError(f"{ref}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{ref}: not a text document (byte {exc.start} is not UTF-8)") from None


def openapi_from_file(ref: str, tags: Sequence[str]) -> DiscoveryResult:
    """Discover from a local OpenAPI/Swagger file; relative ``$ref`` files are read beside it."""
    base = Path(ref).resolve().parent

    def load_ref(relative: str) -> str:
        return read_local(str(base / relative))

    return discover_openapi(read_local(ref), source_name=ref, load_ref=load_ref, tags=tags)


def odata_metadata_url(ref: str) -> str:
    """The ``$metadata`` URL of an OData service root (or the URL itself when it already is one)."""
    return ref if ref.rstrip("/").endswith("$metadata") else ref.rstrip("/") + "/$metadata"


def graphql_from_text(text: str, source: str, endpoint_path: str) -> DiscoveryResult:
    """SDL text, or a saved introspection result (JSON)."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        data = parse_text(text, source)
        return discover_graphql(data, endpoint_path=endpoint_path, source_name=source)
    return discover_graphql(text, endpoint_path=endpoint_path, source_name=source)
