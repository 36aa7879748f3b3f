from __future__ import annotations

import flowdesk.discovery as discovery
from flowdesk.model.errors import UserError


def test_public_names_are_pinned():
    assert sorted(discovery.__all__) == sorted(
        [
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
    )
    for name in discovery.__all__:
        assert getattr(discovery, name) is not None


def test_spec_error_is_a_user_error():
    assert issubclass(discovery.SpecError, UserError)
