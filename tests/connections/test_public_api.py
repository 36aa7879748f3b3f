from __future__ import annotations

import flowdesk.connections as connections


def test_exported_names_are_pinned() -> None:
    assert sorted(connections.__all__) == sorted(
        [
            "UNSET",
            "ApiResponse",
            "BrowserOpener",
            "ConnectionClient",
            "IssuedTokens",
            "Page",
            "RateLimiter",
            "RevocationOutcome",
            "TestResult",
            "authorization_settings",
            "authorize_code",
            "redact_url",
            "revoke_tokens",
        ]
    )
    for name in connections.__all__:
        assert getattr(connections, name) is not None


def test_httpx2_is_not_installed() -> None:
    """respx cannot mock httpx2, and authlib switches to it when importable (LIBRARIES.md)."""
    import importlib.util

    assert importlib.util.find_spec("httpx2") is None
