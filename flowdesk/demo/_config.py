"""How a demo server behaves: credentials, data sizes and the faults it injects."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DemoConfig:
    """Settings of one demo API server; every default matches :func:`demo_connection_data`.

    The credentials are fixed, well-known values on purpose: the server only listens on 127.0.0.1 and exists
    so people (and tests) can try every auth method offline without setting anything up.

    Raises:
        ValueError: a value is out of range (the message names the field).
    """

    port: int = 0
    """TCP port; 0 lets the OS pick a free one (see :attr:`DemoServer.base_url`)."""
    host: str = "127.0.0.1"
    api_key: str = "demo-key"
    username: str = "demo"
    password: str = "demo-pass"
    bearer_token: str = "demo-token"
    client_id: str = "demo-client"
    client_secret: str = "demo-secret"
    error_rate: float = 0.0
    """Share (0..1) of ``/api`` answers replaced by a random 429 or 503, drawn from ``random.Random(seed)``."""
    seed: int = 7
    """Seeds the generated records and the random failures, so two servers answer alike."""
    token_ttl_s: float = 3600.0
    """Lifetime of the access tokens that ``POST /oauth/token`` issues."""
    rotate_refresh_tokens: bool = False
    """Each refresh answers a new refresh token and refuses the old one from then on."""
    require_pkce: bool = False
    """``/oauth/authorize`` refuses requests without an S256 ``code_challenge``."""
    rate_limit: int | None = None
    """Requests per second per client before a 429 with ``Retry-After``; ``None`` means no limit."""
    customers: int = 250
    items: int = 100_000
    latency_ms: float = 0.0
    """Delay added to every answer, to make progress bars and cancellation visible."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not 0 <= self.port <= 65535:
            problems.append(f"port {self.port} is out of range (0-65535)")
        if not 0.0 <= self.error_rate <= 1.0:
            problems.append(f"error_rate {self.error_rate} is not between 0 and 1")
        if self.token_ttl_s <= 0:
            problems.append(f"token_ttl_s {self.token_ttl_s} must be above 0")
        if self.rate_limit is not None and self.rate_limit < 1:
            problems.append(f"rate_limit {self.rate_limit} must be at least 1 (or None for no limit)")
        if self.customers < 0 or self.items < 0:
            problems.append("customers and items cannot be negative")
        if self.latency_ms < 0:
            problems.append(f"latency_ms {self.latency_ms} cannot be negative")
        if problems:
            raise ValueError("invalid demo server settings: " + "; ".join(problems))
