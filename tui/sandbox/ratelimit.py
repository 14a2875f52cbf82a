"""Per-key request and token budgets behind the ``x-ratelimit-*`` headers.

Clients show these headers (and back off on 429), so they must move like the real ones: the
remaining counts fall with each request and each token, and refill when the one-minute window
ends. An exhausted budget answers a real 429 ``rate_limit_exceeded``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from .clock import Clock
from .errors import ApiError

WINDOW_S = 60.0


@dataclass
class _Budget:
    window_start: float
    requests: int = 0
    tokens: int = 0


def _duration(seconds: float) -> str:
    """The API's reset format: ``120ms``, ``6s``, ``1m0s``."""
    if seconds < 1:
        return f"{max(0, math.ceil(seconds * 1000))}ms"
    whole = math.ceil(seconds)
    minutes, secs = divmod(whole, 60)
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


class RateLimiter:
    """Counts requests and tokens per key in fixed one-minute windows."""

    def __init__(self, clock: Clock, *, requests: int = 5000, tokens: int = 2_000_000) -> None:
        self.clock = clock
        self.limit_requests = requests
        self.limit_tokens = tokens
        self._budgets: dict[str, _Budget] = {}
        self._lock = threading.Lock()

    def _budget(self, key: str, now: float) -> _Budget:
        budget = self._budgets.get(key)
        if budget is None or now - budget.window_start >= WINDOW_S:
            budget = _Budget(window_start=now)
            self._budgets[key] = budget
        return budget

    def admit(self, key: str, organization_id: str) -> dict[str, str]:
        """Count one request; the headers to send, or a 429 when the budget is spent."""
        with self._lock:
            now = self.clock.now()
            budget = self._budget(key, now)
            reset_in = budget.window_start + WINDOW_S - now
            if budget.requests >= self.limit_requests or budget.tokens >= self.limit_tokens:
                which = "requests" if budget.requests >= self.limit_requests else "tokens"
                limit = self.limit_requests if which == "requests" else self.limit_tokens
                unit = "RPM" if which == "requests" else "TPM"
                wait = max(1, math.ceil(reset_in))
                headers = self._headers(budget, reset_in)
                headers["retry-after"] = str(wait)
                headers["retry-after-ms"] = str(wait * 1000)
                raise ApiError(
                    429,
                    f"Rate limit reached for {which} in organization {organization_id} on "
                    f"{which} per min ({unit}): Limit {limit}, Used {limit}, Requested 1. "
                    f"Please try again in {wait}s. Visit "
                    "https://platform.openai.com/account/rate-limits to learn more.",
                    type=which,
                    code="rate_limit_exceeded",
                    headers=headers,
                )
            budget.requests += 1
            return self._headers(budget, reset_in)

    def spend_tokens(self, key: str, tokens: int) -> None:
        """Charge the tokens a finished request used to the key's current window."""
        with self._lock:
            self._budget(key, self.clock.now()).tokens += tokens

    def headers(self, key: str) -> dict[str, str]:
        """The current headers without counting a request (for errors raised before ``admit``)."""
        with self._lock:
            now = self.clock.now()
            budget = self._budget(key, now)
            return self._headers(budget, budget.window_start + WINDOW_S - now)

    def _headers(self, budget: _Budget, reset_in: float) -> dict[str, str]:
        requests_left = max(0, self.limit_requests - budget.requests)
        tokens_left = max(0, self.limit_tokens - budget.tokens)
        # Fixed windows: both budgets refill completely when the current minute ends.
        reset = _duration(reset_in)
        return {
            "x-ratelimit-limit-requests": str(self.limit_requests),
            "x-ratelimit-remaining-requests": str(requests_left),
            "x-ratelimit-reset-requests": reset,
            "x-ratelimit-limit-tokens": str(self.limit_tokens),
            "x-ratelimit-remaining-tokens": str(tokens_left),
            "x-ratelimit-reset-tokens": reset,
        }

    def reset(self) -> None:
        """Refill every budget (tests that count requests start from a full one)."""
        with self._lock:
            self._budgets.clear()
