"""Entity discovery: API descriptions (OpenAPI/Swagger, OData ``$metadata``, GraphQL) → entities to review.

Nothing here fetches anything; the workspace fetches the description through the connection's own client
and hands over the text (or, for GraphQL, the answer to :data:`INTROSPECTION_QUERY`). Every function
returns a :class:`DiscoveryResult`, and raises :class:`SpecError` (a ``UserError``) naming where a
description is malformed.
"""

from __future__ import annotations

from flowdesk.discovery._graphql import INTROSPECTION_QUERY, discover_graphql
from flowdesk.discovery._odata import discover_odata
from flowdesk.discovery._openapi import discover_openapi
from flowdesk.discovery._result import DiscoveryResult, SpecError

__all__ = [
    "INTROSPECTION_QUERY",
    "DiscoveryResult",
    "SpecError",
    "discover_graphql",
    "discover_odata",
    "discover_openapi",
]
