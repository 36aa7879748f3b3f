"""Signing and verifying in every style: what the formats pinned in ARCHITECTURE.md produce and accept."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

import flowdesk.webhooks as webhooks
from flowdesk.model.errors import UserError
from flowdesk.store import WEBHOOK_STYLES
from flowdesk.webhooks import STYLES, TOLERANCE_S, SignatureError, parse_payload, sign, verify

SECRET = "s3cret"
BODY = b'{"order":42,"note":"caf\xc3\xa9"}'
NOW = 1_800_000_000


def _hex(data: bytes) -> str:
    return hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()


def test_public_names():
    assert sorted(webhooks.__all__) == [
        "DEFAULT_HOST", "DEFAULT_PORT", "Delivery", "HookSpec", "PayloadError", "SIGNATURE_HEADERS", "STYLES",
        "SignatureError", "Style", "TOLERANCE_S", "WebhookReceiver", "check_style", "parse_payload",
        "serve_until_cancelled", "sign", "verify",
    ]
    assert set(STYLES) == set(WEBHOOK_STYLES), "the store accepts exactly the styles that can be verified"
    assert TOLERANCE_S == 300


# --- the formats ---------------------------------------------------------------------------------------


def test_generic_is_t_and_v1_over_timestamp_dot_body():
    headers = sign("generic", SECRET, BODY, timestamp=NOW)
    assert headers == {"X-Flowdesk-Signature": f"t={NOW},v1={_hex(f'{NOW}.'.encode() + BODY)}"}


def test_stripe_is_t_and_v1_over_timestamp_dot_body():
    headers = sign("stripe", SECRET, BODY, timestamp=NOW)
    assert headers == {"Stripe-Signature": f"t={NOW},v1={_hex(f'{NOW}.'.encode() + BODY)}"}


def test_github_is_sha256_hex_over_the_body():
    assert sign("github", SECRET, BODY) == {"X-Hub-Signature-256": f"sha256={_hex(BODY)}"}


def test_shopify_is_base64_over_the_body():
    digest = hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()
    assert sign("shopify", SECRET, BODY) == {"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode()}


def test_githubs_documented_example_verifies():
    # from GitHub's "Validating webhook deliveries" documentation
    body = b"Hello, World!"
    headers = {"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}
    verify("github", "It's a Secret to Everybody", body, headers)


# --- verification ------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_a_fresh_signature_verifies_and_header_names_are_case_insensitive(style):
    headers = sign(style, SECRET, BODY, timestamp=NOW)
    verify(style, SECRET, BODY, headers, now=NOW + 5)
    verify(style, SECRET.encode(), BODY, {k.lower(): v for k, v in headers.items()}, now=NOW - 5)


@pytest.mark.parametrize("style", STYLES)
def test_a_tampered_body_is_refused(style):
    headers = sign(style, SECRET, BODY, timestamp=NOW)
    with pytest.raises(SignatureError, match="does not match the body"):
        verify(style, SECRET, BODY.replace(b"42", b"43"), headers, now=NOW)


@pytest.mark.parametrize("style", STYLES)
def test_another_secret_is_refused(style):
    headers = sign(style, "someone else's", BODY, timestamp=NOW)
    with pytest.raises(SignatureError, match="does not match"):
        verify(style, SECRET, BODY, headers, now=NOW)


@pytest.mark.parametrize("style", STYLES)
def test_a_missing_header_is_refused_naming_it(style):
    with pytest.raises(SignatureError, match=f"the {webhooks.SIGNATURE_HEADERS[style]} header is missing"):
        verify(style, SECRET, BODY, {"Content-Type": "application/json"}, now=NOW)


@pytest.mark.parametrize("style", ["generic", "stripe"])
@pytest.mark.parametrize(("offset", "words"), [(301, "301 s old"), (-301, "301 s in the future")])
def test_a_stale_timestamp_is_refused_even_with_a_right_digest(style, offset, words):
    headers = sign(style, SECRET, BODY, timestamp=NOW)
    with pytest.raises(SignatureError, match=words):
        verify(style, SECRET, BODY, headers, now=NOW + offset)


@pytest.mark.parametrize("style", ["generic", "stripe"])
def test_exactly_five_minutes_is_still_accepted(style):
    headers = sign(style, SECRET, BODY, timestamp=NOW)
    verify(style, SECRET, BODY, headers, now=NOW + 300)
    verify(style, SECRET, BODY, headers, now=NOW - 300)


@pytest.mark.parametrize("style", ["generic", "stripe"])
def test_a_changed_timestamp_breaks_the_signature(style):
    (name, value), = sign(style, SECRET, BODY, timestamp=NOW).items()
    moved = value.replace(f"t={NOW}", f"t={NOW + 60}")
    with pytest.raises(SignatureError, match="does not match"):
        verify(style, SECRET, BODY, {name: moved}, now=NOW + 60)


def test_stripe_accepts_any_of_several_v1_signatures_during_a_secret_roll():
    digest = _hex(f"{NOW}.".encode() + BODY)
    header = f"t={NOW},v1={'0' * 64},v1={digest},v0=ignored"
    verify("stripe", SECRET, BODY, {"Stripe-Signature": header}, now=NOW)


@pytest.mark.parametrize(
    ("style", "value", "words"),
    [
        ("generic", "v1=abc", "not of the form t=<unix time>,v1=<hex digest>"),
        ("generic", "t=12,t=13,v1=abc", "not of the form"),
        ("stripe", "t=soon,v1=abc", "is not a unix time"),
        ("github", "sha1=abc", "not of the form sha256=<hex digest>"),
        ("github", "sha256=", "not of the form"),
        ("shopify", "%%% not base64", "not base64"),
    ],
)
def test_malformed_headers_are_refused_saying_what_is_wrong(style, value, words):
    with pytest.raises(SignatureError, match=words):
        verify(style, SECRET, BODY, {webhooks.SIGNATURE_HEADERS[style]: value}, now=NOW)


def test_non_ascii_junk_in_a_signature_is_a_mismatch_not_a_crash():
    with pytest.raises(SignatureError, match="does not match"):
        verify("github", SECRET, BODY, {"X-Hub-Signature-256": "sha256=ünïcode"}, now=NOW)


def test_verification_compares_in_constant_time(monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr("flowdesk.webhooks._signatures.hmac.compare_digest", spy)
    for style in STYLES:
        verify(style, SECRET, BODY, sign(style, SECRET, BODY, timestamp=NOW), now=NOW)
    assert len(compared) == len(STYLES)


def test_an_unknown_style_is_a_user_error_listing_the_styles():
    with pytest.raises(UserError, match="generic, github, stripe, shopify"):
        sign("paypal", SECRET, BODY)


# --- payloads ------------------------------------------------------------------------------------------


def test_payloads_json_forms_and_empty_bodies():
    assert parse_payload(b'{"a": 1}', "application/json") == {"a": 1}
    assert parse_payload(b"[1, 2]", "") == [1, 2]
    assert parse_payload(b"", "application/json") == {}
    assert parse_payload(b"a=1&b=two", "application/x-www-form-urlencoded") == {"a": "1", "b": "two"}
    assert parse_payload(b"payload=%7B%22zen%22%3A1%7D", "application/x-www-form-urlencoded") == {"zen": 1}
    with pytest.raises(webhooks.PayloadError, match="not JSON"):
        parse_payload(b"{nope", "application/json")
    with pytest.raises(webhooks.PayloadError, match="not UTF-8"):
        parse_payload(b"\xff\xfe", "application/json")
