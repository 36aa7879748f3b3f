from __future__ import annotations

import pytest

from flowdesk.model.errors import NotFoundError
from flowdesk.model.presets import service_preset, service_presets

SEED_SERVICES = {
    "facebook", "instagram", "twitter", "linkedin", "tiktok", "pinterest", "gmail", "google_sheets", "google_docs",
    "google_drive", "google_calendar", "microsoft365", "slack", "notion", "airtable", "shopify", "woocommerce",
    "stripe", "square", "mailchimp", "hubspot", "sendgrid", "activecampaign", "github", "gitlab", "jira", "trello",
}


def test_every_seed_service_has_a_valid_preset() -> None:
    presets = service_presets()
    assert set(presets) >= SEED_SERVICES
    for preset in presets.values():
        conn = preset.new_connection()
        assert conn.is_preset, preset.service
        assert conn.entities, preset.service
        if preset.test_entity:
            assert conn.entity(preset.test_entity) is not None, preset.service


def test_oauth_presets_carry_urls_and_scopes() -> None:
    github = service_preset("github").new_connection()
    assert github.auth.type == "oauth2"
    assert github.auth.authorize_url == "https://github.com/login/oauth/authorize"
    assert github.auth.scope == "read:user"
    instagram = service_preset("instagram").new_connection()
    assert {"create_media", "media_publish", "media_insights"} <= {e.name for e in instagram.entities}


def test_unknown_preset_lists_known_ones() -> None:
    with pytest.raises(NotFoundError, match="known: activecampaign, airtable"):
        service_preset("myspace")
