"""What a demo server has seen, for tests and benchmarks that must check what a client actually sent."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class DemoStats:
    """Counters of one server; :meth:`reset` starts them over (the data is not touched)."""

    requests: int = 0
    """Every request answered, on any path."""
    by_path: Counter[str] = field(default_factory=Counter)
    """Requests per URL path, such as ``/api/customers`` or ``/oauth/token``."""
    token_requests: int = 0
    """Calls of ``POST /oauth/token``, whatever the outcome."""
    authorize_requests: int = 0
    """Visits of ``GET /oauth/authorize``."""
    revocations: int = 0
    """Calls of ``POST /oauth/revoke`` (RFC 7009), whatever the outcome."""
    unauthorized: int = 0
    """``/api`` requests refused with 401."""
    failures_injected: int = 0
    """Answers replaced by ``X-Demo-Fail`` or by the random ``error_rate``."""
    rate_limited: int = 0
    """429 answers of the per-client rate limit."""

    def reset(self) -> None:
        self.requests = self.token_requests = self.unauthorized = self.failures_injected = self.rate_limited = 0
        self.authorize_requests = self.revocations = 0
        self.by_path.clear()
