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


def test_every_preset_has_a_who_am_i_request_and_names_the_account() -> None:
    for preset in service_presets().values():
        assert preset.test_entity, f"{preset.service}: no test request"
        assert preset.account_path, f"{preset.service}: no account_path"
        assert preset.rate_limit is not None, f"{preset.service}: no rate limit"


def test_oauth_presets_have_their_endpoints_and_versioned_base_urls() -> None:
    import re

    version = re.compile(r"/v\d|/\d+\.\d+|/\d{4}-\d{2}|/api/\d|/\d$")
    for preset in service_presets().values():
        conn = preset.new_connection()
        if preset.service not in ("github", "hubspot", "slack"):  # a version header, per-path versions, none
            assert version.search(conn.base_url), f"{preset.service}: {conn.base_url} names no API version"
        for auth in [preset.auth, *preset.alternative_auth]:
            if auth["type"] == "oauth2":
                assert auth["token_url"].startswith("https://"), preset.service
                assert auth["authorize_url"].startswith("https://"), preset.service
                assert "scope" in auth, f"{preset.service}: say which scopes (even none)"


def test_seed_entities_are_there() -> None:
    expected = {
        "instagram": {"user_media", "create_media", "media_publish", "media_insights"},
        "facebook": {"page_feed", "page_insights"},
        "twitter": {"user_tweets", "post_tweet"},
        "google_sheets": {"read_range", "write_range", "append_rows"},
        "mailchimp": {"members", "campaigns", "send_campaign"},
    }
    for service, names in expected.items():
        assert names <= {e.name for e in service_preset(service).entities}, service


def test_account_label_prefers_the_preset_path_then_usual_fields() -> None:
    from flowdesk.model.presets import account_label

    assert account_label({"data": {"id": "1", "username": "jack"}}, "$.data.username") == "jack"
    assert account_label({"id": 7, "login": "octocat"}) == "octocat"
    assert account_label({"user": {"email": "a@example.com"}}) == "a@example.com"
    assert account_label({"id": 42}, "$.email") == "42"
    assert account_label(["not", "an", "account"]) is None
