"""Entity discovery: API descriptions (OpenAPI/Swagger, OData ``$metadata``, GraphQL) → entities to review.

Nothing here fetches anything; the workspace fetches the description through the connection's own client
and hands over the text (or, for GraphQL, the answer to :data:`INTROSPECTION_QUERY`). Every function
returns a :class:`DiscoveryResult`, and raises :class:`SpecError` (a ``UserError``) naming where a
description is malformed. :func:`plan_rediscovery` compares a discovery with the entities already stored
(what was added, changed upstream, edited by the user, removed upstream) without saving anything.
"""

from __future__ import annotations

from flowdesk.discovery._drift import (
    DriftReport,
    DriftStatus,
    EntityDrift,
    RediscoveryPlan,
    entity_differences,
    plan_rediscovery,
)
from flowdesk.discovery._graphql import INTROSPECTION_QUERY, discover_graphql
from flowdesk.discovery._odata import discover_odata
from flowdesk.discovery._openapi import discover_openapi
from flowdesk.discovery._result import DiscoveryResult, SpecError

__all__ = [
    "INTROSPECTION_QUERY",
    "DiscoveryResult",
    "DriftReport",
    "DriftStatus",
    "EntityDrift",
    "RediscoveryPlan",
    "SpecError",
    "discover_graphql",
    "discover_odata",
    "discover_openapi",
    "entity_differences",
    "plan_rediscovery",
]
